"""Helpers for the jobs tests: a booked appointment, a recording notifier, job wiring."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from services import queueing
from services.jobs import notifier as notifiers
from shared_db import ledger
from shared_db.types import utcnow
from tests import builders


def booked(session, *, starts_in: timedelta = timedelta(days=3), phone: str = "+4915112345678",
           name: str = "Erna Schmidt", language: str = "de", reconfirmation: bool = False, vaccine: str = "JJ"):
    """A confirmed booking whose first appointment starts `starts_in` from now."""
    v = builders.vaccine(session, vaccine)
    c = builders.centre(session)
    c.reconfirmation_enabled = reconfirmation
    start = (utcnow() + starts_in).replace(microsecond=0)
    first = builders.slot(session, c, v, start, "first", phone=2, online=2)
    second = None
    if v.doses == 2:
        second = builders.slot(session, c, v, start + timedelta(days=v.interval_min_days), "second", 2, 2)
    details = builders.details(name=name, phone=phone, language=language)
    return ledger.book(session, first_slot_id=first.id, second_slot_id=second.id if second else None,
                       details=details, channel="agent", actor="agent:1")


class RecordingNotifier:
    """Stands in for Twilio where the provider is not the point: records sends, can fail on demand."""

    def __init__(self, fail_with: Exception | None = None):
        self.sent: list[tuple[int, str, str]] = []
        self.fail_with = fail_with
        self.known: dict[int, str] = {}  # row id -> sid "at the provider", for find_sent
        self.lock = threading.Lock()

    def send(self, row, callback_url: str) -> str:
        if self.fail_with is not None:
            raise self.fail_with
        with self.lock:
            self.sent.append((row.id, row.to_number, row.body))
            sid = f"SM{len(self.sent):032x}"
            self.known[row.id] = sid
        return sid

    def find_sent(self, row, since: datetime) -> str | None:
        return self.known.get(row.id)


def use_notifier(fake) -> None:
    notifiers._state["notifier"] = fake


def use_database(url: str) -> None:
    """Jobs in this process use the test database, in-process (no Redis)."""
    queueing.configure(url, None)
    notifiers.configure({"NOTIFY_BACKEND": "log", "HOTLINE_PUBLIC_URL": "https://hotline.example.org",
                         "TWILIO_FROM_NUMBER": "+4930123456789"})


@pytest.fixture
def jobs(db_url, sessions):
    """Jobs on the test database, in-process, with a recording notifier."""
    use_database(db_url)
    fake = RecordingNotifier()
    use_notifier(fake)
    yield fake
    notifiers._state["notifier"] = None
