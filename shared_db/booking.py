"""The ledger: hold, confirm, cancel, rebook, expire; per-channel pools; paired doses.

Every function takes a session and never commits: the caller owns the
transaction. Capacity is taken by one conditional UPDATE per dose, so no pool
can go over capacity whatever runs beside us; a booking row is changed only
under its row lock, so confirm and cancel are idempotent under retries.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from shared_db import audit, locks
from shared_db.codes import new_code
from shared_db.errors import (
    BookingNotFound,
    CallerLimitReached,
    HoldExpired,
    InvalidInput,
    InvalidTransition,
    PersonAlreadyBooked,
    SlotUnavailable,
)
from shared_db.models import ACTIVE_STATUSES, Booking, Centre, FreedCapacity, Slot, Vaccine
from shared_db.pairing import check_pair, validate_pair
from shared_db.people import PersonDetails, keep_at_least_until, register_person
from shared_db.session import as_persistent, core_written
from shared_db.types import utcnow

log = logging.getLogger(__name__)

DEFAULT_HOLD_SECONDS = 180
DEFAULT_CALLER_LIMIT = 3
# Statuses whose bookings keep their capacity: the dose was or will be given there.
CAPACITY_STATUSES = ("held", "confirmed", "completed", "no_show")


def pools_for(channel: str) -> tuple[str, ...]:
    """Pools a channel may take from, in order of preference."""
    return {"phone": ("phone",), "online": ("online", "phone"), "agent": ("phone", "online")}[channel]


# --------------------------------------------------------------------------- capacity


def take_place(session: Session, slot_id: int, channel: str, now: datetime) -> str:
    """Take one place in a slot for a channel; returns the pool used or raises SlotUnavailable."""
    for attempt in range(2):
        for pool in pools_for(channel):
            if _take_from_pool(session, slot_id, pool, channel, now):
                return pool
        # Lazily give back lapsed holds on this slot, then try once more.
        if attempt == 0 and not release_expired_holds(session, now, slot_id=slot_id):
            break
    raise SlotUnavailable(f"slot {slot_id} has no free place for channel {channel}")


def _take_from_pool(session: Session, slot_id: int, pool: str, channel: str, now: datetime) -> bool:
    taken, capacity = getattr(Slot, f"{pool}_taken"), getattr(Slot, f"{pool}_capacity")
    condition = [Slot.id == slot_id, taken < capacity, Slot.starts_at > now]
    if channel == "online" and pool == "phone":
        condition.append(Slot.phone_release_at <= now)  # the phone quota is protected until release
    result = session.execute(
        update(Slot).where(*condition).values({taken: taken + 1}).execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def give_back(session: Session, slot_id: int, pool: str) -> None:
    """Return one place to a pool; the check constraint forbids going below zero."""
    taken = getattr(Slot, f"{pool}_taken")
    result = session.execute(
        update(Slot).where(Slot.id == slot_id, taken > 0).values({taken: taken - 1})
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise RuntimeError(f"ledger out of step: slot {slot_id} pool {pool} has nothing to give back")


def lock_slots(session: Session, slot_ids) -> None:
    """Lock slot rows in ascending id order, so ledger transactions never wait on each other in a cycle."""
    ids = sorted({i for i in slot_ids if i is not None})
    if ids:
        session.execute(select(Slot.id).where(Slot.id.in_(ids)).order_by(Slot.id).with_for_update())


def _try_lock_slots(session: Session, slot_ids) -> bool:
    """Lock slot rows only if nobody else holds them; background releases never wait (no deadlocks)."""
    ids = {i for i in slot_ids if i is not None}
    got = session.scalars(select(Slot.id).where(Slot.id.in_(ids)).order_by(Slot.id)
                          .with_for_update(skip_locked=True)).all()
    return set(got) == ids


def _free_booking_capacity(session: Session, booking: Booking, second_only: bool = False) -> list[tuple[int, str]]:
    freed = []
    if not second_only:
        give_back(session, booking.first_slot_id, booking.first_pool)
        freed.append((booking.first_slot_id, booking.first_pool))
    if booking.second_slot_id is not None:
        give_back(session, booking.second_slot_id, booking.second_pool)
        freed.append((booking.second_slot_id, booking.second_pool))
    return freed


def _record_freed(session: Session, freed: list[tuple[int, str]], reason: str, booking: Booking) -> None:
    """Freed places of real bookings become fill tasks for agents."""
    for slot_id, pool in freed:
        session.add(FreedCapacity(slot_id=slot_id, pool=pool, reason=reason, source_booking_id=booking.id))


# --------------------------------------------------------------------------- holds


def hold(session: Session, *, first_slot_id: int, second_slot_id: int | None, channel: str, actor: str,
         caller_number: str | None = None, now: datetime | None = None,
         hold_seconds: int = DEFAULT_HOLD_SECONDS) -> Booking:
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


def release_expired_holds(session: Session, now: datetime | None = None, slot_id: int | None = None,
                          limit: int = 500) -> int:
    """Expire lapsed holds (all, or those on one slot) and give their places back; returns how many."""
    now = now or utcnow()
    query = select(Booking).where(Booking.status == "held", Booking.hold_expires_at <= now)
    if slot_id is not None:
        query = query.where(or_(Booking.first_slot_id == slot_id, Booking.second_slot_id == slot_id))
    lapsed = session.scalars(query.order_by(Booking.id).limit(limit).with_for_update(skip_locked=True)).all()
    released = 0
    for booking in lapsed:
        if not _try_lock_slots(session, (booking.first_slot_id, booking.second_slot_id)):
            continue  # someone is booking on these slots right now: the next sweep gets it
        _free_booking_capacity(session, booking)
        booking.status, booking.changed_by = "expired", "system"
        released += 1
    session.flush()
    return released


def _locked(session: Session, booking_id: int) -> Booking:
    booking = session.get(Booking, booking_id, with_for_update=True, populate_existing=True)
    if booking is None:
        raise BookingNotFound(f"booking {booking_id} not found")
    return booking


# --------------------------------------------------------------------------- confirm


def confirm(session: Session, booking_id: int, *, details: PersonDetails, actor: str,
            now: datetime | None = None, caller_limit: int = DEFAULT_CALLER_LIMIT,
            retention_days: int = 14, completed_retention_days: int = 30) -> Booking:
    """Turn a hold into a booking for a person; confirming twice returns the same booking."""
    now = now or utcnow()
    booking, last_dose_at = _locked_with_last_dose(session, booking_id)
    if booking.status == "confirmed":
        return booking  # a retry of a confirm that already happened
    if booking.status != "held":
        raise (HoldExpired if booking.status == "expired" else InvalidTransition)(f"booking is {booking.status}")
    if booking.hold_expires_at <= now:
        raise HoldExpired("the hold lapsed")
    # Kept until some days after the last dose, so the appointment can still be looked up and changed.
    keep_until = max(now.date() + timedelta(days=retention_days),
                     last_dose_at.date() + timedelta(days=completed_retention_days))
    person, new = register_person(session, details, booking.channel, actor, now, keep_until)
    _check_caller_limit(session, booking.caller_number, person.id, caller_limit, now)
    before = audit.snapshot_booking(booking)
    if new:  # registered in this transaction: no other booking can be theirs, no savepoint needed
        _set_confirmed(session, booking, person.id, actor, now)
    else:
        _mark_confirmed(session, booking, person.id, actor, now)
        keep_at_least_until(person, keep_until)
    audit.record(session, actor, "booking", booking.id, "confirmed", before, audit.snapshot_booking(booking))
    return booking


_LOCK_WITH_LAST_DOSE = (
    select(Booking, select(Slot.starts_at).where(
        Slot.id == func.coalesce(Booking.second_slot_id, Booking.first_slot_id)).scalar_subquery())
    .where(Booking.id == bindparam("id")).with_for_update(of=Booking).execution_options(populate_existing=True)
)
_CONFIRM = update(Booking.__table__).where(Booking.id == bindparam("booking_id"))


def _locked_with_last_dose(session: Session, booking_id: int) -> tuple[Booking, datetime]:
    """The booking under its row lock, with the start of its last dose, in one statement."""
    row = session.execute(_LOCK_WITH_LAST_DOSE, {"id": booking_id}).one_or_none()
    if row is None:
        raise BookingNotFound(f"booking {booking_id} not found")
    return row[0], row[1]


def _set_confirmed(session: Session, booking: Booking, person_id: int, actor: str, now: datetime) -> None:
    """One UPDATE; the loaded object is told the new values as committed state (no second write at flush)."""
    values = {"person_id": person_id, "status": "confirmed", "confirmed_at": now, "hold_expires_at": None,
              "changed_by": actor}
    session.connection().execute(_CONFIRM, {"booking_id": booking.id, **values})
    for key, value in values.items():
        set_committed_value(booking, key, value)
    core_written(session, booking)


def _mark_confirmed(session: Session, booking: Booking, person_id: int, actor: str, now: datetime) -> None:
    """Confirm under a savepoint; the partial unique index turns a second active booking into an error."""
    session.flush()  # everything before this point stays, whatever the savepoint does
    try:
        with session.begin_nested():
            _set_confirmed(session, booking, person_id, actor, now)
    except IntegrityError as exc:
        existing = session.scalar(select(Booking.code).where(
            Booking.person_id == person_id, Booking.status.in_(ACTIVE_STATUSES)))
        raise PersonAlreadyBooked(existing) from exc


def _check_caller_limit(session: Session, caller: str | None, person_id: int, limit: int, now: datetime) -> None:
    """At most `limit` different people booked from one number in a rolling 24 hours."""
    if not caller:
        return
    locks.lock_key(session, f"caller:{caller}")  # serialise bookings from one number
    others = session.scalar(
        select(func.count(func.distinct(Booking.person_id))).where(
            Booking.caller_number == caller, Booking.confirmed_at > now - timedelta(hours=24),
            Booking.person_id != person_id, Booking.status != "expired")
    )
    if others >= limit:
        raise CallerLimitReached(limit)


def book(session: Session, *, first_slot_id: int, second_slot_id: int | None, details: PersonDetails,
         channel: str, actor: str, caller_number: str | None = None, now: datetime | None = None,
         caller_limit: int = DEFAULT_CALLER_LIMIT) -> Booking:
    """Hold and confirm in one step (agents, imports)."""
    now = now or utcnow()
    held = hold(session, first_slot_id=first_slot_id, second_slot_id=second_slot_id, channel=channel,
                actor=actor, caller_number=caller_number, now=now)
    return confirm(session, held.id, details=details, actor=actor, now=now, caller_limit=caller_limit)


# --------------------------------------------------------------------------- cancel and rebook


def cancel(session: Session, booking_id: int, *, actor: str, reason: str, second_dose_only: bool = False,
           now: datetime | None = None, freed_reason: str = "cancellation") -> Booking:
    """Cancel a booking (or only its second dose) and give the places back; idempotent."""
    now = now or utcnow()
    booking = _locked(session, booking_id)
    if booking.status in ("cancelled", "expired") or (second_dose_only and booking.second_slot_id is None):
        return booking
    if booking.status not in ACTIVE_STATUSES:
        raise InvalidTransition(f"a {booking.status} booking cannot be cancelled")
    before = audit.snapshot_booking(booking)
    lock_slots(session, (None if second_dose_only else booking.first_slot_id, booking.second_slot_id))
    freed = _free_booking_capacity(session, booking, second_only=second_dose_only)
    if booking.status == "confirmed":
        _record_freed(session, freed, freed_reason, booking)
    if second_dose_only:
        booking.second_slot_id, booking.second_pool = None, None
    else:
        booking.status, booking.cancelled_at, booking.cancel_reason = "cancelled", now, reason[:200]
    booking.changed_by = actor
    session.flush()
    action = "second_dose_cancelled" if second_dose_only else "cancelled"
    audit.record(session, actor, "booking", booking.id, action, before, audit.snapshot_booking(booking), reason)
    return booking


def rebook(session: Session, booking_id: int, *, first_slot_id: int, second_slot_id: int | None, actor: str,
           channel: str, now: datetime | None = None, reason: str = "rebook") -> Booking:
    """Move a confirmed booking: take the new places first, then give back the old ones."""
    now = now or utcnow()
    booking = _locked(session, booking_id)
    if booking.status != "confirmed":
        raise InvalidTransition(f"a {booking.status} booking cannot be rebooked")
    if (booking.first_slot_id, booking.second_slot_id) == (first_slot_id, second_slot_id):
        return booking  # a retry of a rebook that already happened
    check_pair(session, first_slot_id, second_slot_id)
    lock_slots(session, (first_slot_id, second_slot_id, booking.first_slot_id, booking.second_slot_id))
    new_first = take_place(session, first_slot_id, channel, now)
    new_second = take_place(session, second_slot_id, channel, now) if second_slot_id else None
    before = audit.snapshot_booking(booking)
    _record_freed(session, _free_booking_capacity(session, booking), reason, booking)
    booking.first_slot_id, booking.first_pool = first_slot_id, new_first
    booking.second_slot_id, booking.second_pool = second_slot_id, new_second
    booking.changed_by = actor
    session.flush()
    session.expire(booking, ["first_slot", "second_slot"])
    audit.record(session, actor, "booking", booking.id, "rebooked", before, audit.snapshot_booking(booking), reason)
    return booking


def mark_outcome(session: Session, booking_id: int, *, outcome: str, actor: str) -> Booking:
    """Record a first dose as given (`completed`) or missed (`no_show`, which frees the second dose)."""
    if outcome not in ("completed", "no_show"):
        raise InvalidInput("outcome", "completed or no_show")
    booking = _locked(session, booking_id)
    if booking.status == outcome:
        return booking
    if booking.status != "confirmed":
        raise InvalidTransition(f"a {booking.status} booking has no outcome to record")
    before = audit.snapshot_booking(booking)
    if outcome == "no_show" and booking.second_slot_id is not None:
        lock_slots(session, (booking.second_slot_id,))
        give_back(session, booking.second_slot_id, booking.second_pool)
        _record_freed(session, [(booking.second_slot_id, booking.second_pool)], "no_show", booking)
        booking.second_slot_id, booking.second_pool = None, None
    booking.status, booking.changed_by = outcome, actor
    session.flush()
    audit.record(session, actor, "booking", booking.id, outcome, before, audit.snapshot_booking(booking))
    return booking


def find_by_code(session: Session, code: str, date_of_birth=None) -> Booking:
    """The booking with this code (and, when given, this person's birth date), or BookingNotFound."""
    booking = session.scalar(select(Booking).where(Booking.code == code))
    if booking is None or (date_of_birth is not None and (
            booking.person is None or booking.person.date_of_birth != date_of_birth)):
        raise BookingNotFound("no booking with this code and date of birth")
    return booking
