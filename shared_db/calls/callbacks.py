"""Callback requests from both sides: callers ask (one open request per number, duplicates merged,
the earliest place in line kept); agents list, claim (10 minutes) and record outcomes.

A request that is not answered is retried later and given up after N tries.
Functions take a session and never commit.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared_db import audit
from shared_db.calls.queue import leave_queue, open_entry
from shared_db.errors import InvalidInput, InvalidTransition
from shared_db.models import CallbackRequest
from shared_db.operations import claims
from shared_db.settings import get_setting
from shared_db.types import utcnow

OPEN_CALLBACK = ("pending", "claimed")


def request_callback(session: Session, phone: str, language: str, reason: str, place_at: datetime,
                     not_before: datetime | None = None, now: datetime | None = None) -> CallbackRequest:
    """Ask for a callback; a second request from the same number merges into the open one.

    The merged request keeps the earliest place in line, so asking again never loses it.
    """
    now = now or utcnow()
    existing = _open_callback(session, phone)
    if existing is None:
        fresh = CallbackRequest(phone=phone, language=language, reason=reason, place_at=place_at,
                                requested_at=now, not_before=not_before, status="pending")
        try:
            with session.begin_nested():
                session.add(fresh)
                session.flush()
            return fresh
        except IntegrityError:  # a concurrent request from the same number won: merge into it
            existing = _open_callback(session, phone)
    existing.place_at = min(existing.place_at, place_at)
    existing.merged_count += 1
    if existing.not_before is not None:  # None means "as soon as possible": the earlier wish wins
        existing.not_before = None if not_before is None else min(existing.not_before, not_before)
    session.flush()
    return existing


def _open_callback(session: Session, phone: str) -> CallbackRequest | None:
    return session.scalar(select(CallbackRequest).where(
        CallbackRequest.phone == phone, CallbackRequest.status.in_(OPEN_CALLBACK)).with_for_update())


def callback_list(session: Session, now: datetime | None = None, limit: int = 100) -> list[CallbackRequest]:
    """Pending callbacks that are due, first come first served (by original place in line)."""
    now = now or utcnow()
    return list(session.scalars(select(CallbackRequest).where(
        CallbackRequest.status == "pending",
        (CallbackRequest.not_before.is_(None)) | (CallbackRequest.not_before <= now))
        .order_by(CallbackRequest.place_at, CallbackRequest.id).limit(limit)))


def count_due(session: Session, now: datetime | None = None) -> int:
    """How many pending callbacks are due (the figure callback_list would list, counted in the database)."""
    now = now or utcnow()
    return session.scalar(select(func.count(CallbackRequest.id)).where(
        CallbackRequest.status == "pending",
        (CallbackRequest.not_before.is_(None)) | (CallbackRequest.not_before <= now))) or 0


def callback_from_queue(session: Session, call_sid: str, phone: str, language: str,
                        now: datetime | None = None) -> CallbackRequest:
    """A waiting caller pressed 1: leave the queue, keep the place they had in it."""
    now = now or utcnow()
    entry = open_entry(session, call_sid)
    place_at = entry.enqueued_at if entry is not None else now
    if entry is not None:
        leave_queue(session, call_sid, "callback", now)
    return request_callback(session, phone, language, "queue", place_at, now=now)


# --------------------------------------------------------------------------- as agents work them


OUTCOMES = ("booked", "reached", "no_answer", "wrong_number")
MAX_ATTEMPTS_KEY, RETRY_MINUTES_KEY = "callbacks.max_attempts", "callbacks.retry_minutes"


def workable(now: datetime):
    """SQL: requests an agent may take now (pending and due, or claimed with a lapsed claim)."""
    due = or_(CallbackRequest.not_before.is_(None), CallbackRequest.not_before <= now)
    return or_(and_(CallbackRequest.status == "pending", due),
               and_(CallbackRequest.status == "claimed", CallbackRequest.claim_expires_at <= now))


def listing(session: Session, now: datetime, limit: int = 100) -> list[CallbackRequest]:
    """Open requests in first-come order (original place in line), claimed ones included."""
    return list(session.scalars(
        select(CallbackRequest).where(CallbackRequest.status.in_(("pending", "claimed")))
        .order_by(CallbackRequest.place_at, CallbackRequest.id).limit(limit)))


def claim(session: Session, request_id: int, user_id: int, now: datetime) -> bool:
    """Claim one request for 10 minutes; False when someone else holds it or it is not due."""
    row = session.get(CallbackRequest, request_id)
    if row is None or (row.status == "pending" and row.not_before and row.not_before > now):
        return False
    return claims.claim(session, CallbackRequest, request_id, user_id, now, "pending")


def claim_next(session: Session, user_id: int, now: datetime) -> CallbackRequest | None:
    """Claim the first workable request in line, skipping rows other agents are claiming right now."""
    for row_id in session.scalars(select(CallbackRequest.id).where(workable(now))
                                  .order_by(CallbackRequest.place_at, CallbackRequest.id).limit(20)):
        if claims.claim(session, CallbackRequest, row_id, user_id, now, "pending"):
            return session.get(CallbackRequest, row_id, populate_existing=True)
    return None


def record_outcome(session: Session, request_id: int, user_id: int, outcome: str, now: datetime,
                   note: str = "") -> CallbackRequest:
    """Finish a claimed request: done, or back in line for a retry, or given up after N tries."""
    if outcome not in OUTCOMES:
        raise InvalidInput("outcome", "unknown outcome")
    row = session.get(CallbackRequest, request_id, with_for_update=True, populate_existing=True)
    if row is None or not claims.holds_claim(row, user_id, now):
        raise InvalidTransition("claim lapsed or held by someone else")
    before = {"status": row.status, "attempts": row.attempts}
    row.attempts += 1
    row.outcome = f"{outcome}: {note}"[:200] if note else outcome
    row.claimed_by, row.claim_expires_at = None, None
    max_attempts = int(get_setting(session, MAX_ATTEMPTS_KEY))
    if outcome in ("booked", "reached"):
        row.status = "done"
    elif outcome == "wrong_number" or row.attempts >= max_attempts:
        row.status = "given_up"
    else:
        row.status = "pending"
        row.not_before = now + timedelta(minutes=int(get_setting(session, RETRY_MINUTES_KEY)))
    session.flush()
    audit.record(session, f"agent:{user_id}", "callback", row.id, f"callback_{outcome}", before,
                 {"status": row.status, "attempts": row.attempts})
    return row
