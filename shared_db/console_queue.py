"""The agent queue as agents see it: who waits, for how long, and taking the longest-waiting caller.

The IVR writes queue_entries (enqueue, leave). An agent takes the next caller
by setting agent_id on the oldest waiting entry under SKIP LOCKED, so two
agents pressing "take next" at once get two different callers.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared_db import audit
from shared_db.calls import STALE_AFTER
from shared_db.errors import InvalidInput, InvalidTransition
from shared_db.models import QueueEntry

CALL_OUTCOMES = ("booked", "rebooked", "cancelled", "information", "callback", "other")


@dataclass(frozen=True)
class Waiting:
    entry: QueueEntry
    position: int
    wait_seconds: int


def _waiting_condition(now: datetime):
    # Entries older than the IVR's stale limit are lost status callbacks, not callers (shared_db.calls).
    return (QueueEntry.left_at.is_(None), QueueEntry.agent_id.is_(None), QueueEntry.enqueued_at > now - STALE_AFTER)


def waiting(session: Session, now: datetime, limit: int = 200) -> list[Waiting]:
    """Callers waiting for an agent, longest first, with position and wait so far."""
    rows = session.scalars(select(QueueEntry).where(*_waiting_condition(now))
                           .order_by(QueueEntry.enqueued_at, QueueEntry.id).limit(limit))
    return [Waiting(e, i + 1, max(0, int((now - e.enqueued_at).total_seconds()))) for i, e in enumerate(rows)]


def take_next(session: Session, user_id: int, now: datetime) -> QueueEntry | None:
    """Give the longest-waiting caller to this agent (answered now); None when nobody waits.

    The entry is closed before Twilio is asked to redirect the call, so the IVR's
    queue hooks and a second agent both see the caller as taken.
    """
    entry = session.scalar(select(QueueEntry).where(*_waiting_condition(now))
                           .order_by(QueueEntry.enqueued_at, QueueEntry.id).limit(1)
                           .with_for_update(skip_locked=True))
    if entry is None:
        return None
    entry.agent_id, entry.left_at, entry.outcome = user_id, now, "answered"
    session.flush()
    return entry


def redirect_failed(session: Session, entry_id: int, user_id: int, gone: bool) -> None:
    """Twilio could not redirect the call: the caller hung up (abandoned) or waits on (back in line)."""
    entry = session.get(QueueEntry, entry_id, with_for_update=True, populate_existing=True)
    if entry is None or entry.agent_id != user_id or entry.outcome != "answered":
        return
    if gone:
        entry.outcome = "abandoned"
    else:
        entry.agent_id, entry.left_at, entry.outcome = None, None, None
    session.flush()


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
