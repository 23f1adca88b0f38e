"""Agents' person work: search, person page, notes, book on behalf (with override), rebook, cancel."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from shared_db import ledger
from shared_db.models import AuditEntry, Booking, FreedCapacity, Notification, Person, PersonNote, Slot
from shared_db.session import transaction
from tests.agent_console.support import old_person, post, user_id


def book(pg_sessions, console_world, details=None, index=0, caller=None):
    with transaction(pg_sessions) as s:
        made = ledger.book(s, first_slot_id=console_world.firsts[index], second_slot_id=console_world.seconds[index],
                           details=details or old_person(), channel="phone", actor="call:CA1",
                           caller_number=caller)
        return made.id, made.code, made.person_id


def test_search_by_phone_in_any_format(agent, console_world, pg_sessions):
    _, _, person_id = book(pg_sessions, console_world)
    for typed in ("0521 12345678", "+49 521 12345678", "0049 (521) 123 456 78", "0521/12345678"):
        page = agent.get("/console/search", query_string={"q": typed}).get_data(as_text=True)
        assert f"/console/people/{person_id}" in page, typed


def test_search_by_code_and_by_name_with_birth_date(agent, console_world, pg_sessions):
    _, code, person_id = book(pg_sessions, console_world)
    assert f"/console/people/{person_id}" in agent.get("/console/search?q=" + code).get_data(as_text=True)
    found = agent.get("/console/search", query_string={"q": "schmidt erna"}).get_data(as_text=True)
    assert f"/console/people/{person_id}" in found
    dob = old_person().date_of_birth
    wrong = dob.replace(day=4).strftime("%d.%m.%Y")
    assert f"/console/people/{person_id}" not in agent.get(
        "/console/search", query_string={"q": "Erna Schmidt", "dob": wrong}).get_data(as_text=True)
    assert f"/console/people/{person_id}" in agent.get(
        "/console/search", query_string={"q": "Erna Schmidt", "dob": dob.strftime("%d.%m.%Y")}).get_data(as_text=True)


def test_search_with_an_invalid_number_says_so(agent, console_world):
    page = agent.get("/console/search", query_string={"q": "+49 0000 1234"}).get_data(as_text=True)
    assert "keine gültige Telefonnummer" in page


def test_html_in_names_is_escaped_everywhere(agent, supervisor, console_world, pg_sessions):
    evil = "<script>alert(1)</script> Müller"
    _, code, person_id = book(pg_sessions, console_world, old_person(name=evil))
    pages = [agent.get(f"/console/people/{person_id}"), agent.get("/console/search?q=" + code),
             agent.get("/console/search", query_string={"q": "Müller"})]
    with transaction(pg_sessions) as s:
        s.add(PersonNote(person_id=person_id, author="agent:1", body="<img src=x onerror=alert(2)>"))
    pages.append(agent.get(f"/console/people/{person_id}"))
    for response in pages:
        body = response.get_data(as_text=True)
        assert "<script>alert(1)</script>" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Müller" in pages[0].get_data(as_text=True)


def test_person_page_shows_bookings_history_and_notes(agent, console, console_world, pg_sessions):
    _, code, person_id = book(pg_sessions, console_world)
    response = post(agent, f"/console/people/{person_id}/notes", body="Ruft lieber vormittags an.")
    assert response.status_code == 302
    page = agent.get(f"/console/people/{person_id}").get_data(as_text=True)
    assert code in page and "Ruft lieber vormittags an." in page and f"Termin {code} gebucht: " in page
    assert "Anna Agent</span> Ruft lieber" in page  # the note's author by name, not agent:<id>
    with transaction(pg_sessions) as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "note_added"))
        assert entry.actor == f"agent:{user_id(console, 'agent')}" and "vormittags" not in str(entry.after)


def test_empty_note_is_refused(agent, console_world, pg_sessions):
    _, _, person_id = book(pg_sessions, console_world)
    post(agent, f"/console/people/{person_id}/notes", body="   ")
    with transaction(pg_sessions) as s:
        assert s.scalar(select(func.count()).select_from(PersonNote)) == 0


def test_book_on_behalf_shows_eligibility_and_books(agent, console, console_world, pg_sessions):
    details = old_person("Karl Klein", "+4952199887766")
    form = {"name": details.name, "dob": details.date_of_birth.strftime("%d.%m.%Y"), "postcode": "33602",
            "phone": "0521 99887766", "language": "de", "centre_id": str(console_world.centre_id)}
    page = agent.get("/console/book", query_string=form).get_data(as_text=True)
    assert "Berechtigt (Gruppe 1)" in page
    pair = re.search(r'name="pair" value="([0-9:]+)"', page).group(1)
    assert pair == f"{console_world.firsts[0]}:{console_world.seconds[0]}"
    response = post(agent, "/console/book", pair=pair, **form)
    assert response.status_code == 302
    with transaction(pg_sessions) as s:
        made = s.scalar(select(Booking))
        agent_actor = f"agent:{user_id(console, 'agent')}"
        assert (made.channel, made.status, made.created_by) == ("agent", "confirmed", agent_actor)
        assert made.person.phone == "+4952199887766"
        assert s.scalar(select(Notification.kind)) == "confirmation"
        assert s.scalar(select(AuditEntry.actor).where(AuditEntry.action == "confirmed")) == made.created_by


def young_form(console_world):
    return {"name": "Jana Jung", "dob": "01.01.1990", "postcode": "33602", "phone": "", "language": "de",
            "centre_id": str(console_world.centre_id)}


def test_agent_cannot_book_someone_not_eligible_even_with_override_flag(agent, console_world, pg_sessions):
    page = agent.get("/console/book", query_string=young_form(console_world)).get_data(as_text=True)
    assert "nicht berechtigt" in page.lower() and 'name="override"' not in page
    post(agent, "/console/book", pair=f"{console_world.firsts[0]}:{console_world.seconds[0]}", override="1",
         override_reason="bitte", **young_form(console_world))
    with transaction(pg_sessions) as s:
        assert s.scalar(select(func.count()).select_from(Booking)) == 0


def test_supervisor_override_needs_a_reason_and_is_audited(supervisor, console, console_world, pg_sessions):
    pair = f"{console_world.firsts[0]}:{console_world.seconds[0]}"
    post(supervisor, "/console/book", pair=pair, override="1", override_reason="", **young_form(console_world))
    with transaction(pg_sessions) as s:
        assert s.scalar(select(func.count()).select_from(Booking)) == 0
    post(supervisor, "/console/book", pair=pair, override="1", override_reason="Pflegekraft, Nachweis liegt vor",
         **young_form(console_world))
    with transaction(pg_sessions) as s:
        made = s.scalar(select(Booking))
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "eligibility_override"))
        assert made.status == "confirmed" and entry.entity_id == made.id
        assert entry.actor == f"agent:{user_id(console, 'super')}" and entry.reason == "Pflegekraft, Nachweis liegt vor"


def test_rebook_moves_the_booking_and_frees_the_old_slot(agent, console, console_world, pg_sessions):
    booking_id, _, person_id = book(pg_sessions, console_world, index=3)
    page = agent.get(f"/console/bookings/{booking_id}/rebook").get_data(as_text=True)
    assert f'value="{console_world.firsts[0]}:{console_world.seconds[0]}"' in page
    response = post(agent, f"/console/bookings/{booking_id}/rebook",
                    pair=f"{console_world.firsts[0]}:{console_world.seconds[0]}", reason="Wunsch der Person")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/console/people/{person_id}")
    with transaction(pg_sessions) as s:
        moved = s.get(Booking, booking_id)
        assert (moved.first_slot_id, moved.second_slot_id) == (console_world.firsts[0], console_world.seconds[0])
        old = s.get(Slot, console_world.firsts[3])
        assert old.phone_taken + old.online_taken == 0
        assert {f.slot_id for f in s.scalars(select(FreedCapacity))} == {console_world.firsts[3],
                                                                          console_world.seconds[3]}
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "rebooked"))
        assert entry.actor == f"agent:{user_id(console, 'agent')}" and entry.reason == "Wunsch der Person"
        assert s.scalar(select(Notification.kind)) == "rebooked"


def test_cancel_needs_a_reason_and_notifies(agent, console, console_world, pg_sessions):
    booking_id, _, _ = book(pg_sessions, console_world)
    post(agent, f"/console/bookings/{booking_id}/cancel", reason="")
    with transaction(pg_sessions) as s:
        assert s.get(Booking, booking_id).status == "confirmed"
    post(agent, f"/console/bookings/{booking_id}/cancel", reason="Termin passt nicht")
    with transaction(pg_sessions) as s:
        cancelled = s.get(Booking, booking_id)
        assert cancelled.status == "cancelled" and cancelled.cancel_reason == "Termin passt nicht"
        assert cancelled.changed_by == f"agent:{user_id(console, 'agent')}"
        assert s.scalar(select(Notification.kind)) == "cancellation"
        assert s.scalar(select(func.count()).select_from(FreedCapacity)) == 2


def test_unknown_person_is_404(agent, console_world):
    assert agent.get("/console/people/999999").status_code == 404
    assert agent.get("/console/bookings/999999/rebook").status_code == 404


def test_person_without_booking_can_be_booked_from_the_page(agent, console_world, pg_sessions):
    booking_id, _, person_id = book(pg_sessions, console_world)
    with transaction(pg_sessions) as s:
        ledger.cancel(s, booking_id, actor="test", reason="x")
    page = agent.get(f"/console/people/{person_id}").get_data(as_text=True)
    assert f"/console/book?person_id={person_id}" in page
    form = agent.get(f"/console/book?person_id={person_id}").get_data(as_text=True)
    assert 'value="Erna Schmidt"' in form
    with transaction(pg_sessions) as s:
        assert s.get(Person, person_id) is not None
