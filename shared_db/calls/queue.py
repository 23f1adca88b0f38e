"""The agent queue from both sides: callers join and leave it (IVR), agents take the longest-waiting caller.

The IVR writes queue_entries (enqueue, leave). An agent takes the next caller
by setting agent_id on the oldest waiting entry under SKIP LOCKED, so two
agents pressing "take next" at once get two different callers. Functions take
a session and never commit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared_db import audit
from shared_db.errors import InvalidInput, InvalidTransition
from shared_db.models import QueueEntry
from shared_db.settings import OVERLOAD_QUEUE_LENGTH, OVERLOAD_WAIT_SECONDS, get_setting
from shared_db.types import utcnow

# Fewer answered calls than this in the window give no estimate: we would be guessing.
MIN_SAMPLES = 3
ESTIMATE_WINDOW = timedelta(minutes=60)
# A queue entry with no news for this long is a lost status callback, not a waiting caller.
STALE_AFTER = timedelta(hours=4)


def enqueue(session: Session, call_sid: str, from_number: str | None, language: str,
            now: datetime | None = None) -> QueueEntry:
    """Record a caller joining the agent queue (one open entry per call)."""
    entry = open_entry(session, call_sid)
    if entry is not None:
        return entry
    entry = QueueEntry(call_sid=call_sid, from_number=from_number, language=language,
                       enqueued_at=now or utcnow())
    session.add(entry)
    session.flush()
    return entry


def open_entry(session: Session, call_sid: str) -> QueueEntry | None:
    """The call's queue entry that has not ended yet, if any."""
    return session.scalar(select(QueueEntry).where(QueueEntry.call_sid == call_sid, QueueEntry.left_at.is_(None))
                          .order_by(QueueEntry.id.desc()).limit(1).with_for_update())


def leave_queue(session: Session, call_sid: str, outcome: str, now: datetime | None = None,
                agent_id: int | None = None, waited_seconds: int | None = None) -> QueueEntry | None:
    """End the call's open queue entry: answered, abandoned, callback or error. Idempotent."""
    entry = open_entry(session, call_sid)
    if entry is None:
        return None
    now = now or utcnow()
    if waited_seconds is not None:  # Twilio's own QueueTime is the truth when we learn of it late
        now = min(now, entry.enqueued_at + timedelta(seconds=waited_seconds))
    entry.left_at, entry.outcome, entry.agent_id = now, outcome, agent_id
    session.flush()
    return entry


def mark_answered(session: Session, call_sid: str, agent_id: int | None = None,
                  now: datetime | None = None) -> QueueEntry | None:
    """Record that an agent took the caller off the queue (for the console's dequeue hook)."""
    return leave_queue(session, call_sid, "answered", now, agent_id)


def waiting_callers(session: Session, now: datetime | None = None) -> list[QueueEntry]:
    """Callers waiting for an agent now, longest wait first (console wallboard)."""
    now = now or utcnow()
    return list(session.scalars(select(QueueEntry).where(
        QueueEntry.left_at.is_(None), QueueEntry.enqueued_at > now - STALE_AFTER)
        .order_by(QueueEntry.enqueued_at, QueueEntry.id)))


def waiting_count(session: Session, now: datetime | None = None) -> int:
    """How many callers wait for an agent now, counted in the database (overload checks run on every call)."""
    now = now or utcnow()
    return session.scalar(select(func.count(QueueEntry.id)).where(
        QueueEntry.left_at.is_(None), QueueEntry.enqueued_at > now - STALE_AFTER))


def estimate_wait(session: Session, position: int, now: datetime | None = None) -> int | None:
    """Seconds until the caller at `position` is answered, from the last hour's answer rate; None if unknown.

    Rate = calls answered in the window / time since the first of them joined;
    no figure is given until MIN_SAMPLES calls were answered, so it is never made up.
    """
    now = now or utcnow()
    since = now - ESTIMATE_WINDOW
    count, first = session.execute(select(func.count(QueueEntry.id), func.min(QueueEntry.enqueued_at)).where(
        QueueEntry.outcome == "answered", QueueEntry.left_at >= since)).one()
    if count < MIN_SAMPLES or first is None:
        return None
    span = max((now - max(first, since)).total_seconds(), 60.0)
    return int(round(max(position, 1) * span / count))


@dataclass(frozen=True)
class QueueStats:
    """What a supervisor sees: waiting now, answered and abandoned this hour, average wait."""

    waiting: int
    answered: int
    abandoned: int
    callbacks: int
    average_wait_seconds: int | None


def left_since(session: Session, since: datetime) -> dict[str, int]:
    """How many callers left the queue since `since`, by outcome (one count query)."""
    return dict(session.execute(select(QueueEntry.outcome, func.count(QueueEntry.id)).where(
        QueueEntry.left_at >= since).group_by(QueueEntry.outcome)).all())


def queue_stats(session: Session, now: datetime | None = None) -> QueueStats:
    """Queue figures of the last hour, for the console and /metrics."""
    now = now or utcnow()
    since = now - ESTIMATE_WINDOW
    rows = left_since(session, since)
    waits = [(e.left_at - e.enqueued_at).total_seconds() for e in session.scalars(select(QueueEntry).where(
        QueueEntry.left_at >= since, QueueEntry.outcome == "answered"))]
    average = int(sum(waits) / len(waits)) if waits else None
    return QueueStats(waiting_count(session, now), rows.get("answered", 0), rows.get("abandoned", 0),
                      rows.get("callback", 0), average)


# --------------------------------------------------------------------------- overload


def overloaded(session: Session, now: datetime | None = None) -> bool:
    """True when new callers should be offered a callback instead of joining the queue."""
    now = now or utcnow()
    waiting = waiting_count(session, now)
    if waiting >= get_setting(session, OVERLOAD_QUEUE_LENGTH):
        return True
    estimate = estimate_wait(session, waiting + 1, now)
    return estimate is not None and estimate > get_setting(session, OVERLOAD_WAIT_SECONDS)




# --------------------------------------------------------------------------- as agents see it


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
