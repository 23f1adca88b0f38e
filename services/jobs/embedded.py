"""Periodic jobs on the embedded default (no Redis): one thread of the demo's own process runs them.

Without it, a laptop install would never expire holds, resend a failed message,
release phone places or send reminders unless someone ran `hotline sweep`. The
nightly purge runs once a day at the same local hour as the worker's cron.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared_db import clock
from shared_db.types import utcnow

log = logging.getLogger(__name__)


@dataclass
class EmbeddedCron:
    """Runs each (function, timing) of `periodic_jobs()` when its interval has passed; the purge once a day."""

    jobs: list[tuple]
    stop: threading.Event = field(default_factory=threading.Event)
    last_run: dict = field(default_factory=dict)
    purged_on: object = None

    def due(self, func, timing: dict, now: float, local: datetime) -> bool:
        """Whether a job is due: its interval passed, or (a daily cron job) its local time came on a new day."""
        if "interval" in timing:
            last = self.last_run.get(func.__name__)
            return last is None or now - last >= timing["interval"]
        minute, hour = (int(x) for x in timing["cron"].split()[:2])
        past = (local.hour, local.minute) >= (hour, minute)
        if self.purged_on is None:  # started today after its time: tonight's run is the first
            self.purged_on = local.date() if past else local.date() - timedelta(days=1)
        return past and self.purged_on != local.date()

    def run_once(self, now: float | None = None, local: datetime | None = None) -> None:
        """Run every due job now; a failing job is logged and tried again at its next turn."""
        now = time.monotonic() if now is None else now
        local = local or clock.local(utcnow())
        for func, timing in self.jobs:
            if not self.due(func, timing, now, local):
                continue
            self.last_run[func.__name__] = now
            if "cron" in timing:
                self.purged_on = local.date()
            try:
                func()
            except Exception:
                log.exception("periodic job %s failed", func.__name__)

    def start(self) -> threading.Thread:
        """Run in a daemon thread until `stop` is set."""
        def loop() -> None:
            while not self.stop.wait(5):
                self.run_once()

        thread = threading.Thread(target=loop, name="hotline-cron", daemon=True)
        thread.start()
        return thread
