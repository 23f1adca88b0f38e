"""Helpers for the jobs tests: a recording notifier and job wiring (the `jobs` fixture is in conftest.py;
the `booked` builder in tests/builders.py)."""
from __future__ import annotations

import threading
from datetime import datetime

from services import queueing, runtime
from services.jobs import notifier as notifiers


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
    notifiers.use(fake)


def use_database(url: str) -> None:
    """Jobs in this process use the test database, in-process (no Redis)."""
    queueing.drain()  # nothing of an earlier test may run against this database
    runtime.configure({"DATABASE_URL": url, "NOTIFY_BACKEND": "log", "HOTLINE_PUBLIC_URL": "https://hotline.example.org",
                       "TWILIO_FROM_NUMBER": "+4930123456789"})
    queueing.configure(None)
