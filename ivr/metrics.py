"""Prometheus figures of the phone line: callers waiting, how the last hour's callers left, callbacks due, the estimate.

Counted in the database at scrape time (count queries only; see services/metrics.py).
"""
from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily, Metric

from shared_db import calls
from shared_db.calls import callbacks, queue


def queue_figures(session, now) -> Iterable[Metric]:
    """The agent queue as gauges."""
    waiting = calls.waiting_count(session, now)
    yield GaugeMetricFamily("hotline_queue_waiting", "Callers waiting for an agent.", value=waiting)
    left = GaugeMetricFamily("hotline_queue_left_last_hour", "Callers who left the queue in the last hour, by outcome.",
                             labels=["outcome"])
    outcomes = queue.left_since(session, now - calls.ESTIMATE_WINDOW)
    for outcome in ("answered", "abandoned", "callback"):
        left.add_metric([outcome], outcomes.get(outcome, 0))
    yield left
    yield GaugeMetricFamily("hotline_callbacks_due", "Callback requests due, not yet taken.",
                            value=callbacks.count_due(session, now))
    estimate = calls.estimate_wait(session, waiting + 1, now)
    yield GaugeMetricFamily("hotline_queue_estimate_seconds",
                            "Estimated wait of the next caller (-1: not enough data to say).",
                            value=estimate if estimate is not None else -1)
