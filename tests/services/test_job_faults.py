"""Faults the outbox must survive, against real services: our own redis-server, a real `hotline worker`
process, and a stateful Twilio stand-in that checks every request against Twilio's OpenAPI document."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from shared_db.messages import outbox
from shared_db.models import Booking, Notification
from tests.builders import booked
from tests.ivr.support import new_call, take_offer, to_offer
from tests.services.fault_support import wait_for

pytestmark = pytest.mark.slow


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


def _assert_each_sent_exactly_once(fake_twilio, rows) -> None:
    for row in rows:
        created = fake_twilio.created_for(row.id)
        assert len(created) == 1, (row.id, created)
        assert row.provider_id == created[0]["sid"] and row.status == "sent"


def test_redis_down_while_booking_then_every_message_sent_exactly_once(
        own_redis_client, ivr_world, pg_sessions, own_redis, fake_twilio, workers):
    workers()
    own_redis.stop()
    callers = [("+4915112345671", "Erna Schmidt", "03031938"), ("+4915112345672", "Karl Meier", "04041937"),
               ("+4915112345673", "Ida Vogel", "05051936")]
    for number, name, dob in callers:
        call = new_call(own_redis_client, from_number=number)
        to_offer(call, dob=dob)
        take_offer(call, name=name)
        assert "Ihr Termin ist gebucht" in call.last.heard()  # the booking does not need Redis
    with pg_sessions() as session:
        assert session.scalar(select(Booking.id).where(Booking.status != "confirmed")) is None
    assert [r.status for r in _rows(pg_sessions)] == ["pending"] * 3 and fake_twilio.messages == []
    own_redis.start()  # empty: whatever was queued before the outage is gone too
    wait_for(lambda: _all_sent(pg_sessions, 3), 90, "all three confirmations to be sent")
    time.sleep(3)  # several more sweeps: nothing may be sent again
    _assert_each_sent_exactly_once(fake_twilio, _rows(pg_sessions))
    assert len(fake_twilio.messages) == 3


def _hold_first_create(fake_twilio, store: bool):
    """Make Twilio hang on the first create (after storing it, or before) until the test lets go."""
    reached, released = threading.Event(), threading.Event()

    def hang(record) -> bool:
        if not reached.is_set():
            reached.set()
            released.wait(30)
            return store
        return True

    if store:
        fake_twilio.on_create = hang
    else:
        fake_twilio.before_create = hang
    return reached, released


@pytest.mark.parametrize("accepted", [True, False], ids=["after-twilio-accepted", "before-twilio-accepted"])
def test_worker_killed_mid_send_sends_once_and_loses_nothing(pg_sessions, fake_twilio, workers, accepted):
    nid = _one_message(pg_sessions, 0)
    reached, released = _hold_first_create(fake_twilio, store=accepted)
    first = workers()
    assert reached.wait(60), "the worker never called Twilio"
    first.kill()  # SIGKILL to worker and work horse, in the middle of the send
    released.set()
    [row] = _rows(pg_sessions)
    assert (row.id, row.status, row.provider_id) == (nid, "sending", None)
    assert len(fake_twilio.messages) == (1 if accepted else 0)
    workers()
    wait_for(lambda: _all_sent(pg_sessions, 1), 60, "the message to be settled by the next worker")
    time.sleep(3)
    [row] = _rows(pg_sessions)
    _assert_each_sent_exactly_once(fake_twilio, [row])
    assert row.attempts == (1 if accepted else 2)  # adopted from Twilio's list, or sent again once


def test_twilio_500_and_429_are_retried_with_backoff(pg_sessions, fake_twilio, workers):
    nid = _one_message(pg_sessions, 0)
    fake_twilio.script = [500, 429]
    workers()
    wait_for(lambda: _all_sent(pg_sessions, 1), 60, "the message to get through on the third attempt")
    [row] = _rows(pg_sessions)
    assert row.id == nid
    creates = [t for method, path, t in fake_twilio.requests if method == "POST"]
    assert len(creates) == 3 and row.attempts == 3
    assert (creates[1] - creates[0]).total_seconds() >= 1 and (creates[2] - creates[1]).total_seconds() >= 2
    _assert_each_sent_exactly_once(fake_twilio, [row])


def test_twilio_400_is_final_and_recorded_for_supervisors(pg_sessions, fake_twilio, workers):
    nid = _one_message(pg_sessions, 0)
    fake_twilio.script = [400]
    workers()
    wait_for(lambda: _rows(pg_sessions)[0].status == "failed", 60, "the message to fail for good")
    time.sleep(3)  # sweeps and rq retries must leave it alone
    assert len([1 for method, _, _ in fake_twilio.requests if method == "POST"]) == 1
    with pg_sessions() as session:
        [failed] = outbox.failed_notifications(session)
        assert failed.id == nid and "21211" in failed.last_error
        assert failed.to_number not in failed.last_error  # the number Twilio quoted is masked
