"""/metrics through prometheus-client: figures parsed as Prometheus reads them, count queries only, latencies."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import timedelta

from sqlalchemy import event

from shared_db import ledger
from shared_db.models import CallbackRequest
from shared_db.types import utcnow
from tests import builders as b
from tests.hotline.support import scrape


def test_bookings_free_places_and_outbox_after_a_real_booking(app, client, pg_sessions):
    with pg_sessions.begin() as s:
        v, c = b.vaccine(s), b.centre(s)
        first, second = b.pair(s, c, v, utcnow().date() + timedelta(days=5))
        ledger.book(s, first_slot_id=first.id, second_slot_id=second.id, details=b.details(), channel="phone",
                    actor="t")
    figures = scrape(client)
    assert figures[("hotline_bookings", (("channel", "phone"), ("status", "confirmed")))] == 1
    assert figures[("hotline_free_places", (("dose", "first"), ("pool", "phone")))] == 1
    assert figures[("hotline_free_places", (("dose", "first"), ("pool", "online")))] == 8


def _statements_of_a_scrape(app, client) -> list[str]:
    seen = []
    engine = app.extensions["services.db"].engine

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        scrape(client)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return seen


def test_a_scrape_counts_in_the_database_and_loads_no_rows(app, client, pg_sessions):
    """Before: a scrape loaded up to 100,000 callback rows into Python to count them."""
    few = _statements_of_a_scrape(app, client)
    with pg_sessions.begin() as s:
        s.add_all(CallbackRequest(phone=f"+4915112{i:06d}", language="de", reason="queue", place_at=utcnow(),
                                  requested_at=utcnow(), status="pending") for i in range(500))
    many = _statements_of_a_scrape(app, client)
    assert len(many) == len(few)  # the same queries, whatever the number of rows
    reads = [s for s in many if s.lstrip().upper().startswith("SELECT")]
    assert reads and all("count(" in s.lower() or "sum(" in s.lower() for s in reads), reads
    assert scrape(client)[("hotline_callbacks_due", ())] == 500


def test_request_latency_is_recorded_per_route_rule_not_per_path(client):
    client.get("/healthz")
    client.post("/api/v1/holds/4711/confirm", json={})  # an id in the path: the label must be the rule
    figures = scrape(client)
    assert figures[("hotline_http_request_duration_seconds_count",
                    (("endpoint", "/healthz"), ("method", "GET"), ("status", "2xx")))] >= 1
    confirm = (("endpoint", "/api/v1/holds/<int:hold_id>/confirm"), ("method", "POST"), ("status", "4xx"))
    assert figures[("hotline_http_request_duration_seconds_count", confirm)] >= 1
    assert not any("4711" in str(labels) for _, labels in figures)


def test_worker_processes_add_up_in_one_scrape(tmp_path, app):
    """Under gunicorn every worker writes its figures to PROMETHEUS_MULTIPROC_DIR; a scrape sums them."""
    worker = textwrap.dedent("""
        import sys
        from services.metrics import REQUEST_SECONDS
        for _ in range(int(sys.argv[1])):
            REQUEST_SECONDS.labels("/healthz", "GET", "2xx").observe(0.01)
    """)
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for count in (3, 4):
        done = subprocess.run([sys.executable, "-c", worker, str(count)], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    app.config["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path)
    figures = scrape(app.test_client())
    key = ("hotline_http_request_duration_seconds_count", (("endpoint", "/healthz"), ("method", "GET"),
                                                            ("status", "2xx")))
    assert figures[key] == 7
