"""Prometheus metrics through prometheus-client.

Two kinds of figures:
- per request, in this process: the latency histogram of every route, labelled by
  the route's rule (never the raw path, which may carry ids), the method and the
  status class. Under gunicorn, PROMETHEUS_MULTIPROC_DIR (read by prometheus-client
  itself, set by the Procfile) makes every worker write its values to that folder
  and a scrape adds them up (hotline/gunicorn_conf.py marks dead workers).
- read from the database at scrape time: collectors that the parts owning a
  figure register with `add_collector(app, collect)`, where `collect(session, now)`
  yields metric families. They run count and sum queries only, in one short
  transaction per scrape, so a scrape costs the same with a million rows.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from flask import Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector

from shared_db.types import utcnow

REQUEST_SECONDS = Histogram(
    "hotline_http_request_duration_seconds", "Time to answer an HTTP request, by route, method and status class.",
    ["endpoint", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0),
)
Collect = Callable[[object, object], Iterable[Metric]]


def init_app(app: Flask) -> None:
    """Time every request of the app; the database collectors start empty."""
    app.extensions["services.metrics"] = []
    app.before_request(_start_timer)
    app.after_request(_observe)


def add_collector(app: Flask, collect: Collect) -> None:
    """Register `collect(session, now)`, run at each scrape inside one read transaction."""
    app.extensions["services.metrics"].append(collect)


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    if started is not None:
        endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
        REQUEST_SECONDS.labels(endpoint, request.method, f"{response.status_code // 100}xx").observe(
            time.perf_counter() - started)
    return response


class _DatabaseFigures:
    """A prometheus-client collector over the registered database collectors, for one scrape."""

    def __init__(self, session, collectors: list[Collect]) -> None:
        self.session, self.collectors = session, collectors

    def collect(self) -> Iterable[Metric]:
        now = utcnow()
        with self.session.begin():
            for collect in self.collectors:
                yield from list(collect(self.session, now))


def exposition(session) -> Response:
    """The text of a scrape: this process's (or all workers') request figures, then the database figures."""
    if current_app.config.get("PROMETHEUS_MULTIPROC_DIR"):
        process_figures = CollectorRegistry()
        MultiProcessCollector(process_figures, path=current_app.config["PROMETHEUS_MULTIPROC_DIR"])
    else:
        process_figures = REGISTRY
    database_figures = CollectorRegistry(auto_describe=False)
    database_figures.register(_DatabaseFigures(session, current_app.extensions["services.metrics"]))
    body = generate_latest(process_figures) + generate_latest(database_figures)
    return Response(body, mimetype=CONTENT_TYPE_LATEST)
