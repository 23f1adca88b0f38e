"""Faults the outbox must survive, against real services: our own redis-server, a real `hotline worker`
process, and a stateful Twilio stand-in that checks every request against Twilio's OpenAPI document."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from shared_db.messages import outbox
from shared_db.models import Booking, Notification
from tests.conftest import unavailable
from tests.fault_support import OwnRedis, Worker, wait_for
from tests.ivr_support import book, new_call, sessions_of, to_offer, world  # noqa: F401
from tests.jobs_helpers import booked
from tests.twilio_fake import Contract, FakeTwilio, Server
from tests.twilio_mock import twilio_openapi

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def contract():
    return Contract(twilio_openapi())


@pytest.fixture
def twilio(contract):
    fake = FakeTwilio(contract)
    server = Server(fake)
    fake.url = server.url
    yield fake
    server.stop()
    assert fake.violations == []  # every request we made kept to Twilio's contract


@pytest.fixture
def own_redis(tmp_path):
    try:
        redis = OwnRedis(tmp_path)
        redis.start()
    except Exception as exc:  # noqa: BLE001
        unavailable("redis-server", exc)
    yield redis
    redis.stop()


@pytest.fixture
def workers(pg_url, own_redis, twilio, tmp_path):
    """Start `hotline worker` processes on the test database; all are stopped afterwards."""
    started: list[Worker] = []

    def start(**env) -> Worker:
        worker = Worker(pg_url, own_redis.url, twilio.url, tmp_path / "worker.log", **env).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill()


@pytest.fixture
def app(pg_url, pg_engine, own_redis):
    """The web app with jobs going to our own Redis (which the test may stop)."""
    from hotline import create_app
    from hotline.config import TestConfig

    app = create_app(TestConfig(pg_url, REDIS_URL=own_redis.url))
    yield app
    app.extensions["services.db"].engine.dispose()


def _rows(pg_sessions) -> list[Notification]:
    with pg_sessions() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


def _all_sent(pg_sessions, count: int) -> bool:
    rows = _rows(pg_sessions)
    return len(rows) == count and all(r.status == "sent" for r in rows)


def _one_message(pg_sessions, nid: int) -> Notification:
    with pg_sessions.begin() as session:
        booking = booked(session)
        return outbox.announce_booking(session, booking, "confirmation").id


def _assert_each_sent_exactly_once(twilio, rows) -> None:
    for row in rows:
        created = twilio.created_for(row.id)
        assert len(created) == 1, (row.id, created)
        assert row.provider_id == created[0]["sid"] and row.status == "sent"


def test_redis_down_while_booking_then_every_message_sent_exactly_once(
        client, world, sessions_of, pg_sessions, own_redis, twilio, workers):
    workers()
    own_redis.stop()
    callers = [("+4915112345671", "Erna Schmidt", "03031938"), ("+4915112345672", "Karl Meier", "04041937"),
               ("+4915112345673", "Ida Vogel", "05051936")]
    for number, name, dob in callers:
        call = new_call(client, from_number=number)
        to_offer(call, dob=dob)
        book(call, name=name)
        assert "Ihr Termin ist gebucht" in call.last.heard()  # the booking does not need Redis
    with pg_sessions() as session:
        assert session.scalar(select(Booking.id).where(Booking.status != "confirmed")) is None
    assert [r.status for r in _rows(pg_sessions)] == ["pending"] * 3 and twilio.messages == []
    own_redis.start()  # empty: whatever was queued before the outage is gone too
    wait_for(lambda: _all_sent(pg_sessions, 3), 90, "all three confirmations to be sent")
    time.sleep(3)  # several more sweeps: nothing may be sent again
    _assert_each_sent_exactly_once(twilio, _rows(pg_sessions))
    assert len(twilio.messages) == 3


def _hold_first_create(twilio, store: bool):
    """Make Twilio hang on the first create (after storing it, or before) until the test lets go."""
    reached, released = threading.Event(), threading.Event()

    def hang(record) -> bool:
        if not reached.is_set():
            reached.set()
            released.wait(30)
            return store
        return True

    if store:
        twilio.on_create = hang
    else:
        twilio.before_create = hang
    return reached, released


@pytest.mark.parametrize("accepted", [True, False], ids=["after-twilio-accepted", "before-twilio-accepted"])
def test_worker_killed_mid_send_sends_once_and_loses_nothing(pg_sessions, twilio, workers, accepted):
    nid = _one_message(pg_sessions, 0)
    reached, released = _hold_first_create(twilio, store=accepted)
    first = workers()
    assert reached.wait(60), "the worker never called Twilio"
    first.kill()  # SIGKILL to worker and work horse, in the middle of the send
    released.set()
    [row] = _rows(pg_sessions)
    assert (row.status, row.provider_id) == ("sending", None)
    assert len(twilio.messages) == (1 if accepted else 0)
    workers()
    wait_for(lambda: _all_sent(pg_sessions, 1), 60, "the message to be settled by the next worker")
    time.sleep(3)
    [row] = _rows(pg_sessions)
    _assert_each_sent_exactly_once(twilio, [row])
    assert row.attempts == (1 if accepted else 2)  # adopted from Twilio's list, or sent again once


def test_twilio_500_and_429_are_retried_with_backoff(pg_sessions, twilio, workers):
    nid = _one_message(pg_sessions, 0)
    twilio.script = [500, 429]
    workers()
    wait_for(lambda: _all_sent(pg_sessions, 1), 60, "the message to get through on the third attempt")
    [row] = _rows(pg_sessions)
    creates = [t for method, path, t in twilio.requests if method == "POST"]
    assert len(creates) == 3 and row.attempts == 3
    assert (creates[1] - creates[0]).total_seconds() >= 1 and (creates[2] - creates[1]).total_seconds() >= 2
    _assert_each_sent_exactly_once(twilio, [row])


def test_twilio_400_is_final_and_recorded_for_supervisors(pg_sessions, twilio, workers):
    nid = _one_message(pg_sessions, 0)
    twilio.script = [400]
    workers()
    wait_for(lambda: _rows(pg_sessions)[0].status == "failed", 60, "the message to fail for good")
    time.sleep(3)  # sweeps and rq retries must leave it alone
    assert len([1 for method, _, _ in twilio.requests if method == "POST"]) == 1
    with pg_sessions() as session:
        [failed] = outbox.failed_notifications(session)
        assert failed.id == nid and "21211" in failed.last_error
        assert failed.to_number not in failed.last_error  # the number Twilio quoted is masked
