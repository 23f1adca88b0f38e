"""Idempotency-Key on hold, confirm, cancel and rebook: a retry gets the first answer and changes nothing."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from shared_db.ledger.checks import ledger_problems
from shared_db.models import Booking, IdempotencyRecord, Slot
from tests.online_api.support import assert_problem, book_online, headers, hold, person


def count_bookings(pg_sessions) -> int:
    with pg_sessions.begin() as s:
        return s.scalar(select(func.count(Booking.id)))


def test_hold_retry_replays_the_first_answer(client, api_world, pg_sessions):
    first = hold(client, api_world, **{"Idempotency-Key": "hold-1"})
    again = hold(client, api_world, **{"Idempotency-Key": "hold-1"})
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert count_bookings(pg_sessions) == 1
    with pg_sessions.begin() as s:
        assert s.get(Slot, api_world.first_id).online_taken == 1


def test_same_key_with_another_body_is_refused(client, api_world):
    hold(client, api_world, **{"Idempotency-Key": "k"})
    resp = hold(client, api_world, api_world.soon_first_id, **{"Idempotency-Key": "k"})
    assert_problem(resp, 422, "idempotency_key_reused")


def test_keys_belong_to_one_client(client, api_world, pg_sessions):
    from shared_db.access.api_clients import create_client

    with pg_sessions.begin() as s:
        _, other_key = create_client(s, "second portal")
    hold(client, api_world, **{"Idempotency-Key": "shared"})
    resp = client.post("/api/v1/holds", json={"first_slot_id": api_world.first_id},
                       headers={"X-API-Key": other_key, "Idempotency-Key": "shared"})
    assert resp.status_code == 201 and "Idempotent-Replayed" not in resp.headers
    assert count_bookings(pg_sessions) == 2


def test_confirm_retry_replays_and_books_once(client, api_world, pg_sessions):
    hold_id = hold(client, api_world).get_json()["hold_id"]
    url = f"/api/v1/holds/{hold_id}/confirm"
    first = client.post(url, json=person(), headers=headers(api_world, **{"Idempotency-Key": "c-1"}))
    again = client.post(url, json=person(), headers=headers(api_world, **{"Idempotency-Key": "c-1"}))
    assert first.status_code == again.status_code == 201 and first.get_json() == again.get_json()
    with pg_sessions.begin() as s:
        assert s.scalar(select(func.count(Booking.id)).where(Booking.status == "confirmed")) == 1


def test_a_refusal_is_replayed_too(client, api_world, pg_sessions):
    book_online(client, api_world, who=person("Anna Eins"))
    book_online(client, api_world, who=person("Berta Zwei"))
    first = hold(client, api_world, **{"Idempotency-Key": "late"})
    assert_problem(first, 409, "slot_gone")
    with pg_sessions.begin() as s:  # a place comes free, but the retry still gets the first answer
        booking = s.scalar(select(Booking).where(Booking.status == "confirmed").limit(1))
        code, dob = booking.code, booking.person.date_of_birth.isoformat()
    client.post("/api/v1/bookings/cancel", json={"booking_code": code, "date_of_birth": dob},
                headers=headers(api_world))
    again = hold(client, api_world, **{"Idempotency-Key": "late"})
    assert_problem(again, 409, "slot_gone")
    assert again.headers["Idempotent-Replayed"] == "true"
    with pg_sessions.begin() as s:
        assert ledger_problems(s) == []


def test_cancel_retry_replays(client, api_world, pg_sessions):
    ok = book_online(client, api_world)
    access = {"booking_code": ok["booking_code"], "date_of_birth": person()["date_of_birth"]}
    first = client.post("/api/v1/bookings/cancel", json=access, headers=headers(api_world, **{"Idempotency-Key": "x1"}))
    again = client.post("/api/v1/bookings/cancel", json=access, headers=headers(api_world, **{"Idempotency-Key": "x1"}))
    assert first.get_json() == again.get_json() and again.headers["Idempotent-Replayed"] == "true"
    with pg_sessions.begin() as s:
        assert s.scalar(select(func.count(IdempotencyRecord.id))) == 1
        assert ledger_problems(s) == []


def test_rebook_retry_replays(client, api_world):
    ok = book_online(client, api_world)
    body = {"booking_code": ok["booking_code"], "date_of_birth": person()["date_of_birth"],
            "first_slot_id": api_world.soon_first_id}
    first = client.post("/api/v1/bookings/rebook", json=body, headers=headers(api_world, **{"Idempotency-Key": "r"}))
    again = client.post("/api/v1/bookings/rebook", json=body, headers=headers(api_world, **{"Idempotency-Key": "r"}))
    assert first.status_code == 200 and first.get_json() == again.get_json()


def test_malformed_key_is_invalid_input(client, api_world):
    body = assert_problem(hold(client, api_world, **{"Idempotency-Key": "x" * 101}), 422, "invalid_input")
    assert body["errors"][0]["field"] == "Idempotency-Key"


def test_old_records_are_purged_by_the_nightly_job(client, api_world, pg_url, pg_sessions):
    from services.jobs import periodic
    from shared_db.access.api_clients import purge_idempotency_records
    from shared_db.types import utcnow
    from tests.services.support import use_database

    hold(client, api_world, **{"Idempotency-Key": "old"})
    hold(client, api_world, api_world.soon_first_id, **{"Idempotency-Key": "new"})
    with pg_sessions() as s:  # a look into the future, rolled back
        assert purge_idempotency_records(s, now=utcnow() + timedelta(days=3)) == 2
        s.rollback()
    with pg_sessions.begin() as s:
        s.execute(update(IdempotencyRecord).where(IdempotencyRecord.key == "old")
                  .values(created_at=utcnow() - timedelta(days=3)))
    use_database(pg_url)
    periodic.purge_nightly()
    with pg_sessions.begin() as s:
        assert list(s.scalars(select(IdempotencyRecord.key))) == ["new"]
