"""Health, readiness and metrics endpoints against the real database."""
from datetime import timedelta

from shared_db import ledger as booking
from shared_db.types import utcnow
from tests import builders as b


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"]["database"] == "ok"


def test_readyz_reports_an_unreachable_redis(app, client):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json["checks"]["redis"].startswith("error")


def test_metrics_count_bookings_and_free_places(app, client, pg_sessions):
    with pg_sessions.begin() as s:
        v, c = b.vaccine(s), b.centre(s)
        first, second = b.pair(s, c, v, utcnow().date() + timedelta(days=5))
        booking.book(s, first_slot_id=first.id, second_slot_id=second.id, details=b.details(),
                     channel="phone", actor="t")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'hotline_bookings{status="confirmed",channel="phone"} 1' in text
    assert 'hotline_free_places{dose="first",pool="phone"} 1' in text
    assert 'hotline_free_places{dose="first",pool="online"} 8' in text
