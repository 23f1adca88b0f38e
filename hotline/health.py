"""Health, readiness and Prometheus metrics endpoints."""
from __future__ import annotations

from collections.abc import Iterable

from flask import Blueprint, Flask, current_app, jsonify
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import text

from services import db
from services import metrics as services_metrics

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process is up."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """The database (and Redis, when configured) answer."""
    checks = {"database": _database_ok(), "redis": _redis_ok()}
    ready = all(v in ("ok", "not configured") for v in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503


@bp.get("/metrics")
def metrics():
    """Prometheus text format: request latencies and the figures the parts read from the database."""
    return services_metrics.exposition(db.session())


def ledger_figures(session, now) -> Iterable[Metric]:
    """Bookings, free places and outbox rows, counted in the database at scrape time."""
    from shared_db.operations import stats

    bookings = GaugeMetricFamily("hotline_bookings", "Bookings by status and channel.", labels=["status", "channel"])
    for (status, channel), count in sorted(stats.bookings_by_status_and_channel(session).items()):
        bookings.add_metric([status, channel], count)
    free = GaugeMetricFamily("hotline_free_places", "Free places in future slots.", labels=["dose", "pool"])
    for (dose, pool), count in sorted(stats.free_places(session, now).items()):
        free.add_metric([dose, pool], count)
    outbox = GaugeMetricFamily("hotline_notifications", "Outbox rows by status.", labels=["status"])
    for status, count in sorted(stats.outbox_backlog(session).items()):
        outbox.add_metric([status], count)
    return bookings, free, outbox


def _database_ok() -> str:
    try:
        with db.database().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:
        return f"error: {exc.__class__.__name__}"


def _redis_ok() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "not configured"
    try:
        from redis import Redis

        Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
        return "ok"
    except Exception as exc:
        return f"error: {exc.__class__.__name__}"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    services_metrics.add_collector(app, ledger_figures)
