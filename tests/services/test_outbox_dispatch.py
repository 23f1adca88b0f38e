"""The outbox sends itself, for every use case and on both databases: a message row is sent once the
outermost transaction that wrote it commits, never before, and never when it rolls back.

Before, only the IVR's and the API's changes started a send; the console's, the fill tasks' and the
phantom clean-up's waited for a sweep (forever on the embedded default).
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from services import queueing
from shared_db.ledger import changes
from shared_db.models import Notification
from shared_db.types import utcnow
from tests import builders as b


def _messages(sessions) -> list[tuple[str, str]]:
    queueing.drain()
    with sessions() as session:
        return [(n.kind, n.status) for n in session.scalars(select(Notification).order_by(Notification.id))]


def _pair(session, days: int):
    vaccine, centre = b.vaccine(session), b.centre(session)
    return b.pair(session, centre, vaccine, utcnow().date() + timedelta(days=days))


def test_an_agents_booking_is_announced_and_sent(jobs, sessions):
    with sessions.begin() as session:
        first, second = _pair(session, 5)
        changes.book_now(session, first_slot_id=first.id, second_slot_id=second.id, details=b.details(),
                         channel="agent", actor="agent:1")
    assert _messages(sessions) == [("confirmation", "sent")]
    assert len(jobs.sent) == 1


def test_a_cancellation_is_sent_and_a_repeated_one_says_nothing(jobs, sessions):
    with sessions.begin() as session:
        booking_id = b.booked(session).id
    for _ in range(2):
        with sessions.begin() as session:
            changes.cancel_booking(session, booking_id, actor="agent:1", reason="passt nicht")
    assert _messages(sessions) == [("cancellation", "sent")]


def test_many_cancellations_in_one_transaction_are_each_sent(jobs, sessions):
    with sessions.begin() as session:
        ids = [b.booked(session, name=name, phone=phone).id
               for name, phone in (("Erna Schmidt", "+4915112345678"), ("Karl Meier", "+4915112345679"))]
    with sessions.begin() as session:
        changes.cancel_many(session, ids, actor="agent:9", reason="phantom", freed_reason="phantom")
    assert _messages(sessions) == [("cancellation", "sent")] * 2


def test_a_move_up_is_sent(jobs, sessions):
    with sessions.begin() as session:
        booking = b.booked(session, vaccine="BNT", starts_in=timedelta(days=6))
        earlier = b.slot(session, booking.first_slot.centre, booking.first_slot.vaccine,
                         booking.first_slot.starts_at - timedelta(days=1), "first", 1, 1)
        booking_id, earlier_id = booking.id, earlier.id
    with sessions.begin() as session:
        changes.move_dose(session, booking_id, dose="first", slot_id=earlier_id, actor="agent:1")
    assert _messages(sessions) == [("rebooked", "sent")]


def test_nothing_is_sent_before_the_outermost_commit_nor_after_a_rollback(jobs, sessions):
    with sessions.begin() as session:
        booking_id = b.booked(session).id
    with pytest.raises(RuntimeError), sessions.begin() as session:
        with session.begin_nested():  # released: not yet a commit
            changes.cancel_booking(session, booking_id, actor="agent:1", reason="x")
        queueing.drain()
        assert jobs.sent == []
        raise RuntimeError("the unit of work fails after the change")
    assert _messages(sessions) == []
    assert jobs.sent == []
