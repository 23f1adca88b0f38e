"""Holds: take both doses' places for a while, so the caller can decide; the booking system's hottest path."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from shared_db.errors import InvalidInput
from shared_db.ledger.capacity import pools_for, take_place
from shared_db.ledger.codes import new_code
from shared_db.ledger.pairing import validate_pair
from shared_db.models import Booking, Centre, Slot, Vaccine
from shared_db.policy import DEFAULT_POLICY
from shared_db.session import as_persistent
from shared_db.types import utcnow


def hold(session: Session, *, first_slot_id: int, second_slot_id: int | None, channel: str, actor: str,
         caller_number: str | None = None, now: datetime | None = None,
         hold_seconds: int = DEFAULT_POLICY.hold_seconds) -> Booking:
    """Take both doses' places and return a held booking that lapses after `hold_seconds`."""
    now = now or utcnow()
    code = new_code()
    # One statement locks the slots (in id order), reads what the pair check and the pools need,
    # and checks the code is unused: the hottest path in the system costs three statements.
    rows, code_taken = _lock_pair(session, first_slot_id, second_slot_id, code)
    first = rows.get(first_slot_id)
    if first is None:
        raise InvalidInput("first_slot_id", "not a first-dose slot")
    # The first row carries its vaccine's columns and centre's time zone too.
    validate_pair(first, first, first.timezone, rows.get(second_slot_id), second_slot_id)
    if code_taken:
        code = _unused_code(session)
    first_pool, second_pool = _take_pair(session, first, rows.get(second_slot_id), channel, now)
    return _insert_held(session, dict(
        code=code, first_slot_id=first_slot_id, first_pool=first_pool, second_slot_id=second_slot_id,
        second_pool=second_pool, status="held", channel=channel, hold_expires_at=now + timedelta(seconds=hold_seconds),
        caller_number=caller_number, created_at=now, created_by=actor))


# The hot path's statements are built once and run on the session's connection: SQLAlchemy
# then only binds and runs them (the ORM's execution layer costs more than the statement).
_LOCK_PAIR = (
    select(Slot.id, Slot.dose, Slot.centre_id, Slot.vaccine_id, Slot.starts_at, Slot.phone_release_at,
           Slot.phone_taken, Slot.phone_capacity, Slot.online_taken, Slot.online_capacity,
           Vaccine.name, Vaccine.doses, Vaccine.interval_min_days, Vaccine.interval_max_days, Centre.timezone,
           select(Booking.id).where(Booking.code == bindparam("code")).exists().label("code_taken"))
    .join(Vaccine, Vaccine.id == Slot.vaccine_id).join(Centre, Centre.id == Slot.centre_id)
    .where(Slot.id.in_(bindparam("ids", expanding=True))).order_by(Slot.id).with_for_update(of=Slot)
)


_TAKE = {pool: update(Slot.__table__).where(Slot.id.in_(bindparam("ids", expanding=True)),
                                            getattr(Slot, f"{pool}_taken") < getattr(Slot, f"{pool}_capacity"))
         .values({f"{pool}_taken": getattr(Slot, f"{pool}_taken") + 1})
         for pool in ("phone", "online")}


_INSERT_BOOKING = insert(Booking.__table__).returning(Booking.__table__.c.id)


_BOOKING_COLUMNS = tuple(c.key for c in Booking.__table__.columns if c.key != "id")


def _lock_pair(session: Session, first_slot_id: int, second_slot_id: int | None, code: str):
    """Lock the pair's slot rows in id order; returns {id: row} and whether `code` is already used."""
    ids = sorted({i for i in (first_slot_id, second_slot_id) if i is not None})
    found = session.connection().execute(_LOCK_PAIR, {"ids": ids, "code": code}).all()
    return {row.id: row for row in found}, any(row.code_taken for row in found)


def _insert_held(session: Session, values: dict) -> Booking:
    """Insert the held booking and return it as a persistent object, without reading it back."""
    values = {key: values.get(key) for key in _BOOKING_COLUMNS}
    return as_persistent(session, Booking, {"id": session.connection().scalar(_INSERT_BOOKING, values), **values},
                         inserted=True)


def _pool_with_room(row, channel: str, now: datetime) -> str | None:
    """The pool a channel would take a place from in a locked slot row (as _take_from_pool decides)."""
    if row.starts_at <= now:
        return None
    for pool in pools_for(channel):
        if channel == "online" and pool == "phone" and row.phone_release_at > now:
            continue
        if getattr(row, f"{pool}_taken") < getattr(row, f"{pool}_capacity"):
            return pool
    return None


def _take_pair(session: Session, first, second, channel: str, now: datetime) -> tuple[str, str | None]:
    """Take one place in each locked slot of the pair: one UPDATE per pool used, conditional as always."""
    wanted = {row.id: _pool_with_room(row, channel, now) for row in (first, second) if row is not None}
    if None in wanted.values():  # a full slot: the slow path gives back lapsed holds and tries again
        return (take_place(session, first.id, channel, now),
                take_place(session, second.id, channel, now) if second is not None else None)
    for pool in set(wanted.values()):
        ids = [slot_id for slot_id, p in wanted.items() if p == pool]
        result = session.connection().execute(_TAKE[pool], {"ids": ids})
        if result.rowcount != len(ids):  # the rows are locked: a mismatch is a bug, never a race
            raise RuntimeError(f"ledger out of step: slots {ids} changed under their lock")
    return wanted[first.id], (wanted[second.id] if second is not None else None)


def _unused_code(session: Session) -> str:
    for _ in range(20):
        code = new_code()
        if session.scalar(select(Booking.id).where(Booking.code == code)) is None:
            return code
    raise RuntimeError("could not find a free booking code")
