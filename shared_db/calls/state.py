"""IVR call state: one row per call, locked for each step, with the answer kept for replaying retries.

Functions take a session and never commit.
"""
from __future__ import annotations

import copy
import hashlib
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.attributes import set_committed_value

from shared_db.models import CallSession
from shared_db.session import as_persistent, core_written
from shared_db.types import utcnow


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


