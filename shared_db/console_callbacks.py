"""Callbacks as agents work them: first come first served by place in line, one agent per entry.

The IVR writes callback_requests (one open request per number, duplicates
merged into it); here agents list, claim (10 minutes), and record outcomes.
A request that is not answered is retried later and given up after N tries.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from shared_db import audit, claims
from shared_db.errors import InvalidInput, InvalidTransition
from shared_db.models import CallbackRequest
from shared_db.settings import get_setting

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


def pending_count(session: Session) -> int:
    """Open callback requests (pending or being worked)."""
    return session.scalar(select(func.count()).select_from(CallbackRequest)
                          .where(CallbackRequest.status.in_(("pending", "claimed")))) or 0


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
