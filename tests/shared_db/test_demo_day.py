"""The demo's lived-in day: bookings of yesterday and today, callers, callbacks, fill tasks, phantoms, failed
messages; every booking through the ledger, so the ledger stays consistent (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from shared_db import clock
from shared_db.ledger.checks import ledger_problems
from shared_db.models import Booking, CallbackRequest, FreedCapacity, Notification, QueueEntry
from shared_db.operations import phantoms, wallboard
from shared_db.operations.demo import seed_demo
from shared_db.operations.demo_day import PHANTOM_NUMBER, BusyDay
from shared_db.types import utcnow


def test_the_demo_day_is_busy_and_consistent(sessions):
    now = utcnow()
    with sessions.begin() as s:
        seed_demo(s, clock.today(now), days=7)
        counts = BusyDay(s, now).seed()
    with sessions.begin() as s:
        made = [clock.local_date(b.created_at) for b in s.scalars(select(Booking))]
        assert clock.today(now) - timedelta(days=1) in made and clock.today(now) in made
        assert counts["bookings"] >= 25 and counts["phantoms"] == 4
        assert s.scalar(select(func.count()).select_from(QueueEntry).where(QueueEntry.left_at.is_(None))) == 3
        assert s.scalar(select(func.count()).select_from(CallbackRequest)) == 3
        assert s.scalar(select(func.count()).select_from(FreedCapacity).where(FreedCapacity.status == "open")) >= 3
        assert s.scalar(select(func.count()).select_from(Notification).where(Notification.status == "failed")) == 2
        suspects = {sp.booking.caller_number for sp in phantoms.find(s, now)}
        assert PHANTOM_NUMBER in suspects
        live = wallboard.snapshot(s, now)["live"]
        assert live["in_queue"] == 3 and live["in_ivr"] == 2
        assert ledger_problems(s) == []
