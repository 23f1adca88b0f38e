"""Expiring claims: one agent per task, taken by one conditional UPDATE (no read-then-write)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlalchemy.orm import Session

CLAIM_MINUTES = 10


def claim(session: Session, model, row_id: int, user_id: int, now: datetime, open_status: str,
          minutes: int = CLAIM_MINUTES) -> bool:
    """Claim a row that is open, or whose earlier claim lapsed, or that this user holds already."""
    free = or_(model.status == open_status,
               and_(model.status == "claimed", or_(model.claim_expires_at <= now, model.claimed_by == user_id)))
    result = session.execute(
        update(model).where(model.id == row_id, free)
        .values(status="claimed", claimed_by=user_id, claim_expires_at=now + timedelta(minutes=minutes))
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def holds_claim(row, user_id: int, now: datetime) -> bool:
    """True while this user's claim on the row is alive."""
    return row.status == "claimed" and row.claimed_by == user_id and row.claim_expires_at > now


def release(session: Session, model, row_id: int, user_id: int, open_status: str) -> bool:
    """Give a claim back so another agent can take the row."""
    result = session.execute(
        update(model).where(model.id == row_id, model.status == "claimed", model.claimed_by == user_id)
        .values(status=open_status, claimed_by=None, claim_expires_at=None)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1
