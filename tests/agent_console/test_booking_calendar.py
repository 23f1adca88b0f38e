"""Book and rebook through the calendar: any day, nothing preselected, the current time refused, a reason
required; and the booking form's field errors that name what is wrong."""
from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from shared_db import clock
from shared_db.models import AuditEntry, Booking, Notification, Slot
from shared_db.session import transaction
from tests.agent_console.support import old_person, post
from tests.agent_console.test_people import book

RADIO = re.compile(r'<input type="radio"[^>]*>')


def day_of(pg_sessions, slot_id: int) -> date:
    with transaction(pg_sessions) as s:
        return clock.local_date(s.get(Slot, slot_id).starts_at)


def test_the_calendar_shows_each_day_with_free_places_and_its_weekday(agent, console_world, pg_sessions):
    booking_id, _, _ = book(pg_sessions, console_world, index=0)
    page = agent.get(f"/console/bookings/{booking_id}/rebook").get_data(as_text=True)
    for slot_id in console_world.firsts[1:]:
        day = day_of(pg_sessions, slot_id)
        assert f"?day={day.isoformat()}#times" in page
    assert "3 frei" in page and "vorm. 3 · nachm. 0" in page  # the booked time's day has 3 of 4 places left
    assert "4 frei" in page and "vorm. 4 · nachm. 0" in page
    assert re.search(r'<th scope="col">(Mo|Di|Mi|Do|Fr|Sa|So)\.</th>', page)


def test_a_day_next_week_lists_its_times_with_the_second_dose_and_none_is_checked(agent, console_world, pg_sessions):
    booking_id, _, _ = book(pg_sessions, console_world, index=0)
    next_week = day_of(pg_sessions, console_world.firsts[5])
    page = agent.get(f"/console/bookings/{booking_id}/rebook?day={next_week.isoformat()}").get_data(as_text=True)
    assert f'value="{console_world.firsts[5]}:{console_world.seconds[5]}"' in page
    assert f'value="{console_world.firsts[0]}:' not in page  # another day's times are not listed
    assert "2. Impfung" in page and all("checked" not in radio for radio in RADIO.findall(page))


def test_the_current_time_is_shown_but_cannot_be_chosen(agent, console_world, pg_sessions):
    booking_id, _, _ = book(pg_sessions, console_world, index=0)
    day = day_of(pg_sessions, console_world.firsts[0])
    page = agent.get(f"/console/bookings/{booking_id}/rebook?day={day.isoformat()}").get_data(as_text=True)
    current = next(r for r in RADIO.findall(page) if f'value="{console_world.firsts[0]}:' in r)
    assert "disabled" in current and "bisheriger Termin" in page


def test_choosing_the_current_time_again_is_refused_and_nobody_is_told(agent, console_world, pg_sessions):
    booking_id, _, person_id = book(pg_sessions, console_world, index=0)
    response = post(agent, f"/console/bookings/{booking_id}/rebook",
                    pair=f"{console_world.firsts[0]}:{console_world.seconds[0]}", reason="Wunsch der Person")
    assert response.headers["Location"].endswith(f"/console/bookings/{booking_id}/rebook")
    assert "Das ist der bisherige Termin" in agent.get(response.headers["Location"]).get_data(as_text=True)
    with transaction(pg_sessions) as s:
        assert s.scalar(select(Notification.id)) is None
        assert s.scalar(select(AuditEntry.id).where(AuditEntry.action == "rebooked")) is None


def test_a_rebook_without_a_reason_is_refused(agent, console_world, pg_sessions):
    booking_id, _, _ = book(pg_sessions, console_world, index=0)
    response = post(agent, f"/console/bookings/{booking_id}/rebook",
                    pair=f"{console_world.firsts[5]}:{console_world.seconds[5]}", reason="  ")
    assert "Bitte geben Sie den Grund der Umbuchung an." in agent.get(response.headers["Location"]).get_data(
        as_text=True)
    with transaction(pg_sessions) as s:
        assert s.get(Booking, booking_id).first_slot_id == console_world.firsts[0]


def test_a_rebook_to_next_week_with_a_reason_moves_and_audits_it(agent, console_world, pg_sessions):
    booking_id, _, _ = book(pg_sessions, console_world, index=0)
    post(agent, f"/console/bookings/{booking_id}/rebook", pair=f"{console_world.firsts[5]}:{console_world.seconds[5]}",
         reason="Person ist erkrankt")
    with transaction(pg_sessions) as s:
        assert s.get(Booking, booking_id).first_slot_id == console_world.firsts[5]
        assert s.scalar(select(AuditEntry.reason).where(AuditEntry.action == "rebooked")) == "Person ist erkrankt"


def test_weeks_further_ahead_can_be_paged_to_and_the_past_cannot(agent, console_world, pg_sessions):
    booking_id, _, _ = book(pg_sessions, console_world, index=0)
    page = agent.get(f"/console/bookings/{booking_id}/rebook").get_data(as_text=True)
    assert "Spätere Wochen" in page and "Frühere Wochen" not in page
    later = (date.today() + timedelta(weeks=6)).isoformat()
    page = agent.get(f"/console/bookings/{booking_id}/rebook?from={later}").get_data(as_text=True)
    assert "Frühere Wochen" in page and "keine frei" in page


# --------------------------------------------------------------------------- the booking form's field errors

def form(console_world, **changes) -> dict:
    details = old_person("Karl Klein")
    values = {"name": details.name, "dob": details.date_of_birth.strftime("%d.%m.%Y"), "postcode": "33602",
              "phone": "0151 99887766", "language": "de", "centre_id": str(console_world.centre_id)}
    return {**values, **changes}


def test_an_impossible_date_is_named_as_such_not_as_a_format_error(agent, console_world):
    page = agent.get("/console/book", query_string=form(console_world, dob="31.02.1940")).get_data(as_text=True)
    assert "Den 31.02.1940 gibt es nicht" in page and "TT.MM.JJJJ (z. B." not in page
    assert 'id="dob" name="dob" value="31.02.1940"' in page and 'aria-invalid="true"' in page


def test_dates_of_birth_in_a_wrong_form_in_the_future_or_too_long_ago_are_named(agent, console_world):
    cases = {"1.2.40": "ist kein Datum in der Form TT.MM.JJJJ", "01.01.2999": "liegt in der Zukunft",
             "01.01.1850": "mehr als 120 Jahre", "": "Bitte das Geburtsdatum eingeben",
             "29.02.1940": None}  # 1940 was a leap year
    for typed, said in cases.items():
        page = agent.get("/console/book", query_string=form(console_world, dob=typed)).get_data(as_text=True)
        if said is None:
            assert 'aria-invalid="true"' not in page, typed
        else:
            assert said in page, typed


def test_the_postcode_preselects_its_centre_and_vaccines_show_by_name(agent, console_world):
    page = agent.get("/console/book", query_string=form(console_world, postcode="33330", centre_id="")).get_data(
        as_text=True)
    assert f'<option value="{console_world.other_centre_id}" selected>' in page
    assert "nach der Postleitzahl vorgewählt" in page
    assert "Impfstoffe: BioNTech" in page or re.search(r"Impfstoffe: [A-Z][a-z]", page)


def test_a_wrong_phone_number_and_postcode_are_named(agent, console_world):
    page = agent.get("/console/book", query_string=form(console_world, phone="0521 12")).get_data(as_text=True)
    assert "„0521 12“ ist keine gültige Telefonnummer" in page
    page = agent.get("/console/book", query_string=form(console_world, postcode="3360")).get_data(as_text=True)
    assert "Die Postleitzahl „3360“ hat nicht fünf Ziffern." in page


def test_someone_not_eligible_is_told_why(agent, console_world):
    young = (date.today() - timedelta(days=365 * 45)).strftime("%d.%m.%Y")
    page = agent.get("/console/book", query_string=form(console_world, dob=young)).get_data(as_text=True)
    assert "Alter: 44 Jahre." in page or "Alter: 45 Jahre." in page
    assert "Derzeit dürfen buchen: Gruppe 1." in page
