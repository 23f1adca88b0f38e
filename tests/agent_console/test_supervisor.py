"""Supervisors: wallboard figures, phantom clean-up, daily CSV report, settings."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import func, select

from shared_db import clock, ledger
from shared_db.models import (
    AuditEntry,
    Booking,
    CallbackRequest,
    CallSession,
    Centre,
    FreedCapacity,
    Notification,
    QueueEntry,
    Setting,
    Slot,
)
from shared_db.operations import wallboard
from shared_db.session import transaction
from shared_db.types import utcnow
from tests.agent_console.support import old_person, post, user_id


def queue_entry(s, seconds_ago: int, outcome: str | None = None, waited: int | None = None):
    entered = utcnow() - timedelta(seconds=seconds_ago)
    left = entered + timedelta(seconds=waited) if waited is not None else None
    s.add(QueueEntry(call_sid=f"CA{seconds_ago:032d}", from_number="+4952100000000", enqueued_at=entered,
                     left_at=left, outcome=outcome))


def test_wallboard_figures(supervisor, console_world, pg_sessions):
    with transaction(pg_sessions) as s:
        queue_entry(s, 100)
        queue_entry(s, 40)
        queue_entry(s, 300, "answered", 30)
        queue_entry(s, 290, "answered", 90)
        queue_entry(s, 280, "abandoned", 20)
        s.add(CallSession(call_sid="CA" + "9" * 32, state="menu", started_at=utcnow(), updated_at=utcnow()))
        s.add(CallbackRequest(phone="+4952100000009", place_at=utcnow()))
        ledger.book(s, first_slot_id=console_world.firsts[0], second_slot_id=console_world.seconds[0],
                    details=old_person(), channel="phone", actor="call:CA1")
    data = supervisor.get("/console/supervisor/wallboard.json").get_json()
    live, today = data["live"], data["today"]
    assert (live["in_ivr"], live["in_queue"], live["callbacks_pending"]) == (1, 2, 1)
    assert 100 <= live["longest_wait"] <= 105 and 70 <= live["average_wait_now"] <= 75
    assert live["agents_signed_in"] == 1  # the supervisor who is looking
    assert (today["answered"], today["abandoned"], today["average_wait"]) == (2, 1, 60)
    assert today["service_level"] == 33  # 1 of 3 callers answered within 60 s
    assert sum(data["hourly"]["bookings"]["phone"]) == 1
    centre_rows = [r for r in data["capacity"] if r["centre_id"] == console_world.centre_id]
    assert sum(r["phone_total"] - r["phone_free"] + r["online_total"] - r["online_free"] for r in centre_rows) == 1
    page = supervisor.get("/console/supervisor/wallboard").get_data(as_text=True)
    assert 'id="wall-queue" data-key="live.in_queue">2<' in page and "<svg" in page
    assert "http://" not in page.split("<main", 1)[1] and "https://" not in page.split("<main", 1)[1]


def test_wallboard_service_level_counts_only_ended_calls_of_today(pg_sessions, console_world):
    with transaction(pg_sessions) as s:
        queue_entry(s, 10)
        assert wallboard.queue_today(s, clock.today())["service_level"] is None


def phantom_bookings(pg_sessions, console_world, count=3, caller="+4915199999999"):
    ids = []
    with transaction(pg_sessions) as s:
        for i in range(count):
            made = ledger.book(s, first_slot_id=console_world.firsts[i], second_slot_id=console_world.seconds[i],
                               details=old_person(f"Fake Person{i}", None, years=81 + i), channel="phone",
                               actor="call:CA9", caller_number=caller, caller_limit=10)
            ids.append(made.id)
    return ids


def test_phantoms_are_found_by_number_and_burst(supervisor, console_world, pg_sessions):
    ids = phantom_bookings(pg_sessions, console_world)
    page = supervisor.get("/console/supervisor/phantoms").get_data(as_text=True)
    for booking_id in ids:
        assert f'name="booking_id" value="{booking_id}"' in page
    assert "viele Personen je Nummer" in page and "viele in kurzer Zeit" in page


def test_bulk_cancel_notifies_frees_and_audits(supervisor, console, console_world, pg_sessions):
    ids = phantom_bookings(pg_sessions, console_world)
    post(supervisor, "/console/supervisor/phantoms/cancel", booking_id=[str(i) for i in ids[:2]], reason="")
    with transaction(pg_sessions) as s:
        assert s.scalar(select(func.count()).select_from(Booking).where(Booking.status == "cancelled")) == 0
    response = supervisor.post("/console/supervisor/phantoms/cancel", data={
        "csrf_token": supervisor.token, "booking_id": [str(i) for i in ids[:2]], "reason": "Fake-Serie vom 3.4."})
    assert response.status_code == 302
    with transaction(pg_sessions) as s:
        statuses = {b.id: b.status for b in s.scalars(select(Booking))}
        assert [statuses[i] for i in ids] == ["cancelled", "cancelled", "confirmed"]
        assert s.scalar(select(func.count()).select_from(Notification).where(
            Notification.kind == "cancellation")) == 2
        freed = list(s.scalars(select(FreedCapacity)))
        assert len(freed) == 4 and {f.reason for f in freed} == {"phantom"}
        actors = set(s.scalars(select(AuditEntry.actor).where(AuditEntry.action == "cancelled")))
        assert actors == {f"agent:{user_id(console, 'super')}"}
        assert all("Fake-Serie" in b.cancel_reason for b in s.scalars(select(Booking).where(Booking.id.in_(ids[:2]))))


def test_daily_report_csv(supervisor, console_world, pg_sessions):
    with transaction(pg_sessions) as s:
        queue_entry(s, 300, "answered", 30)
        queue_entry(s, 200, "abandoned", 20)
        made = ledger.book(s, first_slot_id=console_world.firsts[0], second_slot_id=console_world.seconds[0],
                           details=old_person(), channel="phone", actor="call:CA1")
        ledger.cancel(s, made.id, actor="agent:0", reason="x")
    response = supervisor.get("/console/supervisor/report.csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    total = rows[-1]
    assert total["hour"] == "total"
    counted = (total["queued"], total["answered"], total["abandoned"], total["answered_within_60s"])
    assert counted == ("2", "1", "1", "1")
    assert (total["bookings_phone"], total["cancellations"], total["freed"], total["refilled"]) == ("1", "1", "2", "0")


def test_settings_are_validated_saved_and_audited(supervisor, console, pg_sessions):
    post(supervisor, "/console/supervisor/settings", **{"queue_overload_length": "45",
                                                        "queue_overload_wait_seconds": "600"})
    post(supervisor, "/console/supervisor/settings", **{"callbacks.max_attempts": "-3"})
    with transaction(pg_sessions) as s:
        values = {row.key: row.value for row in s.scalars(select(Setting))}
        assert values == {"queue_overload_length": 45, "queue_overload_wait_seconds": 600}
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "setting_changed").limit(1))
        assert entry.actor == f"agent:{user_id(console, 'super')}"
    page = supervisor.get("/console/supervisor/settings").get_data(as_text=True)
    assert 'value="45"' in page


def test_centre_quota_changes_release_time_of_future_slots(supervisor, console_world, pg_sessions):
    post(supervisor, f"/console/supervisor/centres/{console_world.centre_id}", phone_share_percent="30",
         phone_release_hours="24")
    with transaction(pg_sessions) as s:
        centre = s.get(Centre, console_world.centre_id)
        assert (centre.phone_share_percent, centre.phone_release_hours) == (30, 24)
        slot = s.get(Slot, console_world.firsts[0])
        assert slot.starts_at - slot.phone_release_at == timedelta(hours=24)
        assert s.scalar(select(AuditEntry.action).where(AuditEntry.entity == "centre")) == "quota_changed"
    post(supervisor, f"/console/supervisor/centres/{console_world.centre_id}", phone_share_percent="130",
         phone_release_hours="24")
    with transaction(pg_sessions) as s:
        assert s.get(Centre, console_world.centre_id).phone_share_percent == 30
