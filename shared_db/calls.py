"""Calls: IVR call state with replay of repeated requests, the agent queue, callbacks, overload.

Functions take a session and never commit. The agent console reads the queue
through `waiting_callers`, `callback_list` and `estimate_wait`; the IVR writes it.
"""
from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.attributes import set_committed_value

from shared_db.models import CallbackRequest, CallSession, QueueEntry, Setting
from shared_db.session import as_persistent, core_written
from shared_db.types import utcnow

# Settings (table `settings`) that switch new callers to callbacks, with their defaults.
OVERLOAD_QUEUE_LENGTH = "queue_overload_length"
OVERLOAD_WAIT_SECONDS = "queue_overload_wait_seconds"
DEFAULTS = {OVERLOAD_QUEUE_LENGTH: 25, OVERLOAD_WAIT_SECONDS: 900}
# Fewer answered calls than this in the window give no estimate: we would be guessing.
MIN_SAMPLES = 3
ESTIMATE_WINDOW = timedelta(minutes=60)
# A queue entry with no news for this long is a lost status callback, not a waiting caller.
STALE_AFTER = timedelta(hours=4)
OPEN_CALLBACK = ("pending", "claimed")


# --------------------------------------------------------------------------- call state


def request_key(*parts: object) -> str:
    """A fixed-length key of one webhook request (call, step, input), for replaying retries."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


_LOCK_CALL = select(CallSession.__table__).where(CallSession.call_sid == bindparam("sid")).with_for_update()


def lock_call(session: Session, call_sid: str) -> CallSession | None:
    """The call's state under a row lock, so two copies of one request run one after the other.

    Every IVR step starts here: a Core SELECT ... FOR UPDATE, made the session's object
    without the ORM's loading machinery (about a tenth of a step's CPU before).
    """
    session.flush()  # changes pending on a loaded copy are written first, as session.get would
    row = session.connection().execute(_LOCK_CALL, {"sid": call_sid}).mappings().first()
    return as_persistent(session, CallSession, dict(row)) if row is not None else None


def start_call(session: Session, call_sid: str, from_number: str | None, state: str, language: str,
               now: datetime | None = None) -> CallSession | None:
    """Create the call's state; None when a concurrent copy of the first request created it first."""
    now = now or utcnow()
    call = CallSession(call_sid=call_sid, from_number=from_number, state=state, language=language,
                       data={}, step=0, started_at=now, updated_at=now)
    try:
        with session.begin_nested():
            session.add(call)
            session.flush()
    except IntegrityError:
        return None
    return call


_SAVE_TURN = update(CallSession.__table__).where(CallSession.call_sid == bindparam("sid"))


def save_turn(call: CallSession, *, state: str, data: dict, key: str, response: str,
              now: datetime | None = None) -> None:
    """Store the new state and the answer given, so a retry of the same request gets it again.

    Every IVR step ends here: one UPDATE on the session's connection, and the loaded
    object is told the new values as committed state, so the ORM has nothing left to flush.
    """
    values = {"state": state, "data": copy.deepcopy(data), "language": data.get("lang", call.language),
              "last_request_key": key, "last_response": response, "step": call.step + 1,
              "updated_at": now or utcnow()}
    session = object_session(call)
    if session.connection().execute(_SAVE_TURN, {"sid": call.call_sid, **values}).rowcount != 1:
        raise RuntimeError("the call's row vanished under its lock")
    for name, value in values.items():
        set_committed_value(call, name, value)
    core_written(session, call)


def end_call(call: CallSession, status: str, now: datetime | None = None) -> None:
    """Mark the call as over (status callback); repeated callbacks keep the first end time."""
    if call.ended_at is None:
        call.ended_at, call.end_status = now or utcnow(), status[:20]


# --------------------------------------------------------------------------- agent queue


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


def queue_stats(session: Session, now: datetime | None = None) -> QueueStats:
    """Queue figures of the last hour, for the console and /metrics."""
    now = now or utcnow()
    since = now - ESTIMATE_WINDOW
    rows = dict(session.execute(select(QueueEntry.outcome, func.count(QueueEntry.id)).where(
        QueueEntry.left_at >= since).group_by(QueueEntry.outcome)).all())
    waits = [(e.left_at - e.enqueued_at).total_seconds() for e in session.scalars(select(QueueEntry).where(
        QueueEntry.left_at >= since, QueueEntry.outcome == "answered"))]
    average = int(sum(waits) / len(waits)) if waits else None
    return QueueStats(waiting_count(session, now), rows.get("answered", 0), rows.get("abandoned", 0),
                      rows.get("callback", 0), average)


# --------------------------------------------------------------------------- overload


def setting(session: Session, key: str) -> int:
    """An integer supervisor setting from the `settings` table, or its default."""
    value = session.scalar(select(Setting.value).where(Setting.key == key))
    try:
        return int(value) if value is not None else DEFAULTS[key]
    except (TypeError, ValueError):
        return DEFAULTS[key]


def overloaded(session: Session, now: datetime | None = None) -> bool:
    """True when new callers should be offered a callback instead of joining the queue."""
    now = now or utcnow()
    waiting = waiting_count(session, now)
    if waiting >= setting(session, OVERLOAD_QUEUE_LENGTH):
        return True
    estimate = estimate_wait(session, waiting + 1, now)
    return estimate is not None and estimate > setting(session, OVERLOAD_WAIT_SECONDS)


# --------------------------------------------------------------------------- callbacks


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


def callback_from_queue(session: Session, call_sid: str, phone: str, language: str,
                        now: datetime | None = None) -> CallbackRequest:
    """A waiting caller pressed 1: leave the queue, keep the place they had in it."""
    now = now or utcnow()
    entry = open_entry(session, call_sid)
    place_at = entry.enqueued_at if entry is not None else now
    if entry is not None:
        leave_queue(session, call_sid, "callback", now)
    return request_callback(session, phone, language, "queue", place_at, now=now)
