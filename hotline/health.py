"""Health, readiness and Prometheus metrics endpoints."""
from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, jsonify
from sqlalchemy import text

from services import db
from services.metrics import add_metrics

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
    """Prometheus text format; collectors are added by the parts that own the figures."""
    lines = []
    for collect in current_app.extensions.get("hotline.metrics", []):
        lines.extend(collect())
    return Response("\n".join(lines) + "\n", mimetype="text/plain; version=0.0.4")


def ledger_metrics() -> list[str]:
    """Bookings, free places and outbox backlog, read from the database at scrape time."""
    from shared_db.operations import stats
    from shared_db.types import utcnow

    session = db.session()
    with session.begin():
        bookings = stats.bookings_by_status_and_channel(session)
        free = stats.free_places(session, utcnow())
        outbox = stats.outbox_backlog(session)
    lines = ["# HELP hotline_bookings Bookings by status and channel.", "# TYPE hotline_bookings gauge"]
    lines += [f'hotline_bookings{{status="{s}",channel="{c}"}} {n}' for (s, c), n in sorted(bookings.items())]
    lines += ["# HELP hotline_free_places Free places in future slots.", "# TYPE hotline_free_places gauge"]
    lines += [f'hotline_free_places{{dose="{d}",pool="{p}"}} {n}' for (d, p), n in sorted(free.items())]
    lines += ["# HELP hotline_notifications Outbox rows by status.", "# TYPE hotline_notifications gauge"]
    lines += [f'hotline_notifications{{status="{s}"}} {n}' for s, n in sorted(outbox.items())]
    return lines


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
    add_metrics(app, ledger_metrics)
