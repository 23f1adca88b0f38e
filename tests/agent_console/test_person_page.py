"""The person page an agent can act on: numbers as tel: links, history in sentences with names, codes as
words, messages with their delivery state and a resend; the cancel confirmation; supervisors' failed list."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from shared_db import ledger
from shared_db.models import AuditEntry, Booking, Notification, Person
from shared_db.session import transaction
from shared_db.types import utcnow
from tests.agent_console.support import old_person, post


def booked_by_phone(pg_sessions, console_world, phone=None, caller="+49521123456"):
    """A booking made in the IVR from `caller` for a person whose own number is `phone`."""
    with transaction(pg_sessions) as s:
        made = ledger.book(s, first_slot_id=console_world.firsts[0], second_slot_id=console_world.seconds[0],
                           details=old_person("Erna Schmidt", phone), channel="phone", actor="call:CA77eb",
                           caller_number=caller)
        return made.id, made.code, made.person_id


def confirmation(s, booking_id: int, status: str = "sent", error: str | None = None) -> Notification:
    """The confirmation SMS of a booking as the outbox would have left it."""
    booking = s.get(Booking, booking_id)
    row = Notification(kind="confirmation", to_number=booking.person.phone or booking.caller_number, body="Termin",
                       booking_id=booking_id, person_id=booking.person_id, status=status, last_error=error)
    s.add(row)
    s.flush()
    return row


def test_the_number_a_person_booked_from_is_a_tel_link_with_a_search(agent, console_world, pg_sessions):
    _, _, person_id = booked_by_phone(pg_sessions, console_world, phone=None)
    page = agent.get(f"/console/people/{person_id}").get_data(as_text=True)
    assert 'href="tel:+49521123456"' in page and "0521 123456" in page and "von hier gebucht" in page
    assert "/console/search?q=%2B49521123456" in page and "Diese Nummer suchen" in page


def test_own_number_and_caller_number_are_both_listed_once(agent, console_world, pg_sessions):
    _, _, person_id = booked_by_phone(pg_sessions, console_world, phone="+4915112345678")
    page = agent.get(f"/console/people/{person_id}").get_data(as_text=True)
    assert page.count('href="tel:+4915112345678"') == 1 and page.count('href="tel:+49521123456"') == 1
    assert page.index("tel:+4915112345678") < page.index("tel:+49521123456")  # the person's own number first


def test_history_reads_as_sentences_with_who_did_it_and_why(agent, console, console_world, pg_sessions):
    booking_id, code, person_id = booked_by_phone(pg_sessions, console_world)
    post(agent, f"/console/bookings/{booking_id}/cancel", reason="Hat schon einen Termin beim Hausarzt")
    page = agent.get(f"/console/people/{person_id}").get_data(as_text=True)
    assert "<td>Hotline-Anruf</td><td>Person registriert</td>" in page
    assert f"<td>Anna Agent</td><td>Termin {code} storniert</td><td>Hat schon einen Termin beim Hausarzt</td>" in page
    assert "call:CA77eb" not in page and "agent:" not in page and f"booking #{booking_id}" not in page


def test_codes_show_as_words(agent, console_world, pg_sessions):
    _, _, person_id = booked_by_phone(pg_sessions, console_world)
    page = agent.get(f"/console/people/{person_id}").get_data(as_text=True)
    assert "<dd>Deutsch</dd>" in page and "Telefon (Sprachmenü)" in page
    assert "(phone)" not in page


def test_cancel_asks_first_saying_what_happens_and_who_is_told(agent, console_world, pg_sessions):
    booking_id, code, person_id = booked_by_phone(pg_sessions, console_world, phone="+4915112345678")
    person_page = agent.get(f"/console/people/{person_id}").get_data(as_text=True)
    assert f'href="/console/bookings/{booking_id}/cancel"' in person_page  # a link to the question, not a button
    page = agent.get(f"/console/bookings/{booking_id}/cancel").get_data(as_text=True)
    assert "wird storniert" in page and "2. Impfung" in page and "SMS an 01511 2345678" in page
    assert "Ja, Termin stornieren" in page
    with transaction(pg_sessions) as s:
        assert s.get(Booking, booking_id).status == "confirmed"  # asking changed nothing


def test_cancel_without_a_reason_goes_back_to_the_question(agent, console_world, pg_sessions):
    booking_id, _, _ = booked_by_phone(pg_sessions, console_world)
    response = post(agent, f"/console/bookings/{booking_id}/cancel", reason="")
    assert response.headers["Location"].endswith(f"/console/bookings/{booking_id}/cancel")
    assert "es wurde nichts storniert" in agent.get(response.headers["Location"]).get_data(as_text=True)


def test_messages_show_their_delivery_state_and_twilios_reason(agent, console_world, pg_sessions):
    booking_id, _, person_id = booked_by_phone(pg_sessions, console_world, phone="+4915112345678")
    with transaction(pg_sessions) as s:
        confirmation(s, booking_id, "failed", "undelivered: 30006")
        s.add(Notification(kind="reminder", to_number="+4915112345678", body="x", booking_id=booking_id,
                           person_id=person_id, status="delivered", delivered_at=utcnow()))
    page = agent.get(f"/console/people/{person_id}").get_data(as_text=True)
    assert "Terminbestätigung" in page and "nicht zugestellt" in page
    assert "Festnetznummer oder Anbieter nimmt keine SMS an (Twilio 30006)" in page
    assert "Erinnerung" in page and "zugestellt" in page


def test_a_message_can_be_resent_to_another_number(agent, console_world, pg_sessions):
    booking_id, _, person_id = booked_by_phone(pg_sessions, console_world, phone="+4915112345678")
    with transaction(pg_sessions) as s:
        original = confirmation(s, booking_id, "failed", "undelivered: 30003")
        original_id, body = original.id, original.body
    post(agent, f"/console/people/{person_id}/messages/{original_id}/resend", to="0170 1234567")
    with transaction(pg_sessions) as s:
        copy = s.scalar(select(Notification).where(Notification.id != original_id))
        assert (copy.to_number, copy.body, copy.booking_id) == ("+491701234567", body, booking_id)
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "message_resent"))
        assert entry.entity_id == person_id and "1234567" not in str(entry.after)


def test_a_resend_to_a_wrong_number_is_refused_and_named(agent, console_world, pg_sessions):
    booking_id, _, person_id = booked_by_phone(pg_sessions, console_world, phone="+4915112345678")
    with transaction(pg_sessions) as s:
        original_id = confirmation(s, booking_id).id
    response = post(agent, f"/console/people/{person_id}/messages/{original_id}/resend", to="0170 12")
    assert "„0170 12“ ist keine gültige Telefonnummer" in agent.get(response.headers["Location"]).get_data(
        as_text=True)
    with transaction(pg_sessions) as s:
        assert s.scalar(select(func.count()).select_from(Notification)) == 1


def test_another_persons_message_cannot_be_resent_from_this_page(agent, console_world, pg_sessions):
    booking_id, _, person_id = booked_by_phone(pg_sessions, console_world, phone="+4915112345678")
    with transaction(pg_sessions) as s:
        original_id = confirmation(s, booking_id).id
        other = Person(name="Other", name_key="other", date_of_birth=old_person().date_of_birth,
                       registered_via="agent", retention_until=old_person().date_of_birth)
        s.add(other)
        s.flush()
        other_id = other.id
    assert post(agent, f"/console/people/{other_id}/messages/{original_id}/resend", to="0170 1234567").status_code \
        == 404


def test_supervisors_see_the_days_failed_messages(supervisor, agent, console_world, pg_sessions):
    booking_id, _, person_id = booked_by_phone(pg_sessions, console_world, phone="+4915112345678")
    with transaction(pg_sessions) as s:
        confirmation(s, booking_id, "failed", "undelivered: 30005")
        s.add(Notification(kind="reminder", to_number="+4915112345678", body="x", status="failed",
                           created_at=utcnow() - timedelta(days=2), last_error="failed: 30008"))
    page = supervisor.get("/console/supervisor/messages").get_data(as_text=True)
    assert "Nummer unbekannt oder nicht mehr vergeben" in page and f"/console/people/{person_id}#messages" in page
    assert "unbekannter Fehler beim Anbieter" not in page  # two days ago is another day's list
    assert "+4915112345678" not in page  # numbers masked on the supervisors' list
    assert agent.get("/console/supervisor/messages").status_code == 403
