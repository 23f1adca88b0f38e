"""One path for every booking change, seen from the console: messages that send themselves, one
signature check that fails closed, one campaign clock, the deployment's policy for agents' bookings.

Each test reproduces a finding of the issue "One path for every booking change" and failed before.
"""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import event, select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from services.jobs import sending
from shared_db import clock, ledger
from shared_db.models import Booking, Notification, Person
from shared_db.session import transaction
from tests.agent_console.support import old_person, post


def book(pg_sessions, console_world, index=0, details=None):
    with transaction(pg_sessions) as s:
        made = ledger.book(s, first_slot_id=console_world.firsts[index], second_slot_id=console_world.seconds[index],
                           details=details or old_person(phone="+4915112345678"), channel="phone", actor="call:CA1")
        return made.id


def messages(pg_sessions) -> list[tuple[str, str]]:
    with transaction(pg_sessions) as s:
        return [(n.kind, n.status) for n in s.scalars(select(Notification).order_by(Notification.id))]


# --------------------------------------------------------------------------- finding 2: messages never sent


def test_console_cancel_sends_its_message_at_once(agent, console_world, pg_sessions):
    booking_id = book(pg_sessions, console_world)
    post(agent, f"/console/bookings/{booking_id}/cancel", reason="Termin passt nicht")
    assert messages(pg_sessions) == [("cancellation", "sent")]


def test_console_rebook_sends_its_message_at_once(agent, console_world, pg_sessions):
    booking_id = book(pg_sessions, console_world, index=3)
    post(agent, f"/console/bookings/{booking_id}/rebook", pair=f"{console_world.firsts[0]}:{console_world.seconds[0]}",
         reason="Wunsch der Person")
    assert messages(pg_sessions) == [("rebooked", "sent")]


def test_console_booking_sends_its_confirmation_at_once(agent, console_world, pg_sessions):
    details = old_person("Karl Klein", "+4915199887766")
    form = {"name": details.name, "dob": details.date_of_birth.strftime("%d.%m.%Y"), "postcode": "33602",
            "phone": "0151 99887766", "language": "de", "centre_id": str(console_world.centre_id)}
    post(agent, "/console/book", pair=f"{console_world.firsts[0]}:{console_world.seconds[0]}", **form)
    assert messages(pg_sessions) == [("confirmation", "sent")]


def test_phantom_clean_up_sends_each_message_at_once(supervisor, console_world, pg_sessions):
    ids = [book(pg_sessions, console_world, index=i, details=old_person(f"Phan Tom{i}", f"+491511234560{i}"))
           for i in range(2)]
    supervisor.post("/console/supervisor/phantoms/cancel", data={
        "csrf_token": _csrf(supervisor, "/console/supervisor/phantoms"), "booking_id": [str(i) for i in ids],
        "reason": "Fake-Buchung"})
    assert messages(pg_sessions) == [("cancellation", "sent")] * 2


def test_a_rebook_onto_the_same_slots_changes_nothing_and_says_nothing(agent, console_world, pg_sessions):
    booking_id = book(pg_sessions, console_world)
    post(agent, f"/console/bookings/{booking_id}/rebook", pair=f"{console_world.firsts[0]}:{console_world.seconds[0]}",
         reason="Wunsch der Person")
    assert messages(pg_sessions) == []


def test_a_newer_message_about_a_booking_replaces_the_unsent_older_one(agent, console_world, pg_sessions):
    """With the sends held up (Redis down), three moves used to leave three "verlegt" messages for the sweep."""
    booking_id = book(pg_sessions, console_world, index=3)
    event.remove(Session, "pending_to_persistent", sending._send_after_commit)
    try:
        for index in (0, 1, 2):
            pair = f"{console_world.firsts[index]}:{console_world.seconds[index]}"
            post(agent, f"/console/bookings/{booking_id}/rebook", pair=pair, reason="Wunsch der Person")
    finally:
        event.listen(Session, "pending_to_persistent", sending._send_after_commit)
    assert messages(pg_sessions) == [("rebooked", "cancelled"), ("rebooked", "cancelled"), ("rebooked", "pending")]
    with transaction(pg_sessions) as s:
        latest = s.scalar(select(Notification).where(Notification.status == "pending"))
        assert clock.local(s.get(Booking, booking_id).first_slot.starts_at).strftime("%d.%m.%Y") in latest.body


# --------------------------------------------------------------------------- finding 3: one signature check


def test_without_an_auth_token_every_twilio_route_refuses_with_403(console, console_world, pg_sessions):
    """Before: /notifications accepted a signature made with an empty key, /console/twiml crashed with 500."""
    console.config["TWILIO_AUTH_TOKEN"] = None
    client = console.test_client()
    forged = RequestValidator("")
    for path, form in (("/ivr/voice", {"CallSid": "CA1"}),
                       ("/notifications/status?n=1", {"MessageSid": "SM1", "MessageStatus": "delivered"}),
                       ("/notifications/reply", {"From": "+4915112345678", "Body": "JA"}),
                       ("/console/twiml/connect/1", {"CallSid": "CA1"})):
        signature = forged.compute_signature(console.config["HOTLINE_PUBLIC_URL"] + path, form)
        response = client.post(path, data=form, headers={"X-Twilio-Signature": signature})
        assert response.status_code == 403, path


def test_a_correct_signature_passes_everywhere(console, console_world):
    client = console.test_client()
    validator = RequestValidator(console.config["TWILIO_AUTH_TOKEN"])
    for path, form in (("/ivr/voice", {"CallSid": "CA" + "1" * 32, "From": "+49521123456"}),
                       ("/notifications/status?n=999", {"MessageSid": "SM1", "MessageStatus": "delivered"})):
        signature = validator.compute_signature(console.config["HOTLINE_PUBLIC_URL"] + path, form)
        response = client.post(path, data=form, headers={"X-Twilio-Signature": signature})
        assert response.status_code in (200, 204), (path, response.status_code)


# --------------------------------------------------------------------------- finding 4: one campaign clock


def test_the_console_knows_it_is_already_tomorrow_in_berlin(agent, console, console_world):
    """At 23:30 UTC it is 00:30 or 01:30 the next day in Berlin: someone turning 80 that day is in group 1."""
    utc_day = clock.today() + timedelta(days=1)
    while (utc_day + timedelta(days=1)).day > 28:  # a birthday that exists in every year
        utc_day += timedelta(days=1)
    console.config["CONSOLE_NOW"] = lambda: datetime.combine(utc_day, time(23, 30), UTC)
    berlin_day = utc_day + timedelta(days=1)
    born = berlin_day.replace(year=berlin_day.year - 80)
    form = {"name": "Hanna Achtzig", "dob": born.strftime("%d.%m.%Y"), "postcode": "33602", "phone": "",
            "language": "de", "centre_id": str(console_world.centre_id)}
    page = agent.get("/console/book", query_string=form).get_data(as_text=True)
    assert "Berechtigt (Gruppe 1)" in page


# --------------------------------------------------------------------------- finding 5: the policy, written once


def test_agent_bookings_keep_the_deployments_retention(agent, console, console_world, pg_sessions):
    """Before: agents' bookings always kept people 14 days, whatever HOTLINE_RETENTION_DAYS said."""
    console.config["POLICY"] = replace(console.config["POLICY"], retention_days=200)
    details = old_person("Karl Klein", "+4915199887766")
    form = {"name": details.name, "dob": details.date_of_birth.strftime("%d.%m.%Y"), "postcode": "33602",
            "phone": "0151 99887766", "language": "de", "centre_id": str(console_world.centre_id)}
    post(agent, "/console/book", pair=f"{console_world.firsts[0]}:{console_world.seconds[0]}", **form)
    with transaction(pg_sessions) as s:
        person = s.scalar(select(Person))
        assert person.retention_until == clock.today() + timedelta(days=200)


def _csrf(client, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)
