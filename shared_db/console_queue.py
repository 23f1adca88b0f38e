"""The agent queue as agents see it: who waits, for how long, and taking the longest-waiting caller.

The IVR writes queue_entries (enqueue, leave). An agent takes the next caller
by setting agent_id on the oldest waiting entry under SKIP LOCKED, so two
agents pressing "take next" at once get two different callers.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shared_db import audit
from shared_db.errors import InvalidInput, InvalidTransition
from shared_db.models import QueueEntry

CALL_OUTCOMES = ("booked", "rebooked", "cancelled", "information", "callback", "other")


@dataclass(frozen=True)
class Waiting:
    entry: QueueEntry
    position: int
    wait_seconds: int


def waiting(session: Session, now: datetime, limit: int = 200) -> list[Waiting]:
    """Callers waiting for an agent, longest first, with position and wait so far."""
    rows = session.scalars(select(QueueEntry).where(QueueEntry.left_at.is_(None), QueueEntry.agent_id.is_(None))
                           .order_by(QueueEntry.enqueued_at, QueueEntry.id).limit(limit))
    return [Waiting(e, i + 1, max(0, int((now - e.enqueued_at).total_seconds()))) for i, e in enumerate(rows)]


def take_next(session: Session, user_id: int, now: datetime) -> QueueEntry | None:
    """Assign the longest-waiting caller to this agent; None when nobody waits."""
    entry = session.scalar(select(QueueEntry).where(QueueEntry.left_at.is_(None), QueueEntry.agent_id.is_(None))
                           .order_by(QueueEntry.enqueued_at, QueueEntry.id).limit(1)
                           .with_for_update(skip_locked=True))
    if entry is None:
        return None
    entry.agent_id = user_id
    session.flush()
    return entry


def connected(session: Session, entry_id: int, now: datetime) -> None:
    """The caller left the queue to the agent: answered."""
    session.execute(update(QueueEntry).where(QueueEntry.id == entry_id, QueueEntry.left_at.is_(None))
                    .values(left_at=now, outcome="answered").execution_options(synchronize_session=False))


def gone(session: Session, entry_id: int, now: datetime) -> None:
    """The call could not be redirected (the caller hung up meanwhile): abandoned."""
    session.execute(update(QueueEntry).where(QueueEntry.id == entry_id, QueueEntry.left_at.is_(None))
                    .values(left_at=now, outcome="abandoned").execution_options(synchronize_session=False))


def unassign(session: Session, entry_id: int, user_id: int) -> None:
    """Put the caller back in line for everyone (the redirect failed for a passing reason)."""
    session.execute(update(QueueEntry).where(QueueEntry.id == entry_id, QueueEntry.agent_id == user_id,
                                             QueueEntry.left_at.is_(None))
                    .values(agent_id=None).execution_options(synchronize_session=False))


def current_calls(session: Session, user_id: int, limit: int = 5) -> list[QueueEntry]:
    """The agent's latest answered callers, newest first (to record what came of them)."""
    return list(session.scalars(select(QueueEntry).where(QueueEntry.agent_id == user_id,
                                                         QueueEntry.outcome == "answered")
                                .order_by(QueueEntry.left_at.desc()).limit(limit)))


def record_call_outcome(session: Session, entry_id: int, user_id: int, outcome: str, note: str = "") -> None:
    """What came of a conversation with a queued caller; kept in the audit log."""
    if outcome not in CALL_OUTCOMES:
        raise InvalidInput("outcome", "unknown outcome")
    entry = session.get(QueueEntry, entry_id)
    if entry is None or entry.agent_id != user_id:
        raise InvalidTransition("not your caller")
    audit.record(session, f"agent:{user_id}", "queue_entry", entry.id, "call_outcome",
                 after={"outcome": outcome}, reason=note[:200] or None)
