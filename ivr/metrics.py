"""Prometheus figures of the phone line: queue length, answered and abandoned calls, callbacks, estimate."""
from __future__ import annotations

from services import db
from shared_db import calls
from shared_db.types import utcnow


def queue_metrics() -> list[str]:
    """The agent queue as gauges, read at scrape time."""
    session = db.session()
    now = utcnow()
    with session.begin():
        stats = calls.queue_stats(session, now)
        callbacks = len(calls.callback_list(session, now, limit=100_000))
        estimate = calls.estimate_wait(session, stats.waiting + 1, now)
    return [
        "# HELP hotline_queue_waiting Callers waiting for an agent.", "# TYPE hotline_queue_waiting gauge",
        f"hotline_queue_waiting {stats.waiting}",
        "# HELP hotline_queue_left_last_hour Callers who left the queue in the last hour, by outcome.",
        "# TYPE hotline_queue_left_last_hour gauge",
        f'hotline_queue_left_last_hour{{outcome="answered"}} {stats.answered}',
        f'hotline_queue_left_last_hour{{outcome="abandoned"}} {stats.abandoned}',
        f'hotline_queue_left_last_hour{{outcome="callback"}} {stats.callbacks}',
        "# HELP hotline_callbacks_due Callback requests due, not yet taken.", "# TYPE hotline_callbacks_due gauge",
        f"hotline_callbacks_due {callbacks}",
        "# HELP hotline_queue_estimate_seconds Estimated wait of the next caller (-1: not enough data).",
        "# TYPE hotline_queue_estimate_seconds gauge",
        f"hotline_queue_estimate_seconds {estimate if estimate is not None else -1}",
    ]
