"""The ledger: hold, confirm, cancel, rebook, expire; per-channel pools; paired doses.

Every function takes a session and never commits: the caller owns the
transaction. Capacity is taken by one conditional UPDATE per dose, so no pool
can go over capacity whatever runs beside us; a booking row is changed only
under its row lock, so confirm and cancel are idempotent under retries.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

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
from shared_db.models import ACTIVE_STATUSES, Booking, FreedCapacity, Slot
from shared_db.pairing import check_pair
from shared_db.people import PersonDetails, register
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
    check_pair(session, first_slot_id, second_slot_id)
    code = _unused_code(session)  # before the slot locks: other bookers of this slot wait as briefly as possible
    lock_slots(session, (first_slot_id, second_slot_id))
    first_pool = take_place(session, first_slot_id, channel, now)
    second_pool = take_place(session, second_slot_id, channel, now) if second_slot_id else None
    booking = Booking(code=code, first_slot_id=first_slot_id, first_pool=first_pool,
                      second_slot_id=second_slot_id, second_pool=second_pool, status="held", channel=channel,
                      hold_expires_at=now + timedelta(seconds=hold_seconds), caller_number=caller_number,
                      created_at=now, created_by=actor)
    session.add(booking)
    session.flush()
    return booking


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
    booking = _locked(session, booking_id)
    if booking.status == "confirmed":
        return booking  # a retry of a confirm that already happened
    if booking.status != "held":
        raise (HoldExpired if booking.status == "expired" else InvalidTransition)(f"booking is {booking.status}")
    if booking.hold_expires_at <= now:
        raise HoldExpired("the hold lapsed")
    person = register(session, details, booking.channel, actor, now, retention_days)
    _check_caller_limit(session, booking.caller_number, person.id, caller_limit, now)
    before = audit.snapshot_booking(booking)
    _mark_confirmed(session, booking, person.id, actor, now)
    _extend_retention(session, person, booking, completed_retention_days)
    audit.record(session, actor, "booking", booking.id, "confirmed", before, audit.snapshot_booking(booking))
    return booking


def _mark_confirmed(session: Session, booking: Booking, person_id: int, actor: str, now: datetime) -> None:
    """Confirm under a savepoint; the partial unique index turns a second active booking into an error."""
    session.flush()  # everything before this point stays, whatever the savepoint does
    try:
        with session.begin_nested():
            booking.person_id, booking.status, booking.confirmed_at = person_id, "confirmed", now
            booking.hold_expires_at, booking.changed_by = None, actor
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


def _extend_retention(session: Session, person, booking: Booking, days_after: int) -> None:
    last = booking.second_slot or booking.first_slot
    keep_until = last.starts_at.date() + timedelta(days=days_after)
    if keep_until > person.retention_until:
        person.retention_until = keep_until


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
