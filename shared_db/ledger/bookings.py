"""Bookings: confirm a hold for a person, cancel, rebook, record the outcome; find by code.

Every function takes a session and never commits: the caller owns the
transaction. A booking row is changed only under its row lock, so confirm,
cancel and rebook are idempotent under retries.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from shared_db import audit, clock, locks
from shared_db.errors import (
    BookingNotFound,
    CallerLimitReached,
    HoldExpired,
    InvalidInput,
    InvalidTransition,
    PersonAlreadyBooked,
)
from shared_db.ledger.capacity import (
    free_booking_capacity,
    give_back,
    lock_slots,
    record_freed,
    take_place,
)
from shared_db.ledger.holds import hold
from shared_db.ledger.pairing import check_pair
from shared_db.models import ACTIVE_STATUSES, Booking, Person, Slot
from shared_db.people.registry import (
    PersonDetails,
    keep_at_least_until,
    register_person,
)
from shared_db.policy import DEFAULT_POLICY
from shared_db.session import core_written
from shared_db.types import utcnow


def find_locked(session: Session, booking_id: int) -> Booking:
    """The booking under its row lock, freshly read; BookingNotFound when there is none."""
    booking = session.get(Booking, booking_id, with_for_update=True, populate_existing=True)
    if booking is None:
        raise BookingNotFound(f"booking {booking_id} not found")
    return booking


class Change(NamedTuple):
    """What a ledger change left, and whether it changed anything (a repeated change does not)."""

    booking: Booking
    changed: bool


def confirm(session: Session, booking_id: int, **kwargs) -> Booking:
    """Turn a hold into a booking for a person; confirming twice returns the same booking."""
    return confirm_change(session, booking_id, **kwargs).booking


def confirm_change(session: Session, booking_id: int, *, details: PersonDetails, actor: str,
                   now: datetime | None = None, caller_limit: int = DEFAULT_POLICY.caller_limit,
                   retention_days: int = DEFAULT_POLICY.retention_days,
                   completed_retention_days: int = DEFAULT_POLICY.completed_retention_days,
                   verification: str | None = None) -> Change:
    """confirm(), telling whether this call confirmed it or found it confirmed already.

    `verification` records how the person's priority was shown (verified, to_verify).
    """
    now = now or utcnow()
    booking, last_dose_at = _locked_with_last_dose(session, booking_id)
    if booking.status == "confirmed":
        return Change(booking, False)  # a retry of a confirm that already happened
    if booking.status != "held":
        raise (HoldExpired if booking.status == "expired" else InvalidTransition)(f"booking is {booking.status}")
    if booking.hold_expires_at <= now:
        raise HoldExpired("the hold lapsed")
    # A registration is kept `retention_days` without a booking; while a booking is open it keeps the person,
    # and once it ends retention counts from its end (shared_db/operations/retention.py).
    keep_until = clock.today(now) + timedelta(days=retention_days)
    person, new = register_person(session, details, booking.channel, actor, now, keep_until)
    _check_caller_limit(session, booking.caller_number, person.id, caller_limit, now)
    before = audit.snapshot_booking(booking)
    if new:  # registered in this transaction: no other booking can be theirs, no savepoint needed
        _set_confirmed(session, booking, person, actor, now, verification)
    else:
        _mark_confirmed(session, booking, person, actor, now, verification)
        keep_at_least_until(person, keep_until)
    audit.record(session, actor, "booking", booking.id, "confirmed", before, audit.snapshot_booking(booking))
    return Change(booking, True)


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


def _set_confirmed(session: Session, booking: Booking, person: Person, actor: str, now: datetime,
                   verification: str | None = None) -> None:
    """One UPDATE; the loaded object is told the new values as committed state (no second write at flush)."""
    values = {"person_id": person.id, "status": "confirmed", "confirmed_at": now, "hold_expires_at": None,
              "changed_by": actor, "verification": verification}
    session.connection().execute(_CONFIRM, {"booking_id": booking.id, **values})
    for key, value in values.items():
        set_committed_value(booking, key, value)
    set_committed_value(booking, "person", person)  # a person loaded as None before would hide them
    core_written(session, booking)


def _mark_confirmed(session: Session, booking: Booking, person: Person, actor: str, now: datetime,
                    verification: str | None = None) -> None:
    """Confirm under a savepoint; the partial unique index turns a second active booking into an error."""
    session.flush()  # everything before this point stays, whatever the savepoint does
    try:
        with session.begin_nested():
            _set_confirmed(session, booking, person, actor, now, verification)
    except IntegrityError as exc:
        existing = session.scalar(select(Booking.code).where(
            Booking.person_id == person.id, Booking.status.in_(ACTIVE_STATUSES)))
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
         caller_limit: int = DEFAULT_POLICY.caller_limit, retention_days: int = DEFAULT_POLICY.retention_days,
         completed_retention_days: int = DEFAULT_POLICY.completed_retention_days) -> Booking:
    """Hold and confirm in one step (agents, imports)."""
    now = now or utcnow()
    held = hold(session, first_slot_id=first_slot_id, second_slot_id=second_slot_id, channel=channel,
                actor=actor, caller_number=caller_number, now=now)
    return confirm(session, held.id, details=details, actor=actor, now=now, caller_limit=caller_limit,
                   retention_days=retention_days, completed_retention_days=completed_retention_days)


def cancel(session: Session, booking_id: int, **kwargs) -> Booking:
    """Cancel a booking (or only its second dose) and give the places back; idempotent."""
    return cancel_change(session, booking_id, **kwargs).booking


def cancel_change(session: Session, booking_id: int, *, actor: str, reason: str, second_dose_only: bool = False,
                  now: datetime | None = None, freed_reason: str = "cancellation") -> Change:
    """cancel(), telling whether this call cancelled something."""
    now = now or utcnow()
    booking = find_locked(session, booking_id)
    if booking.status in ("cancelled", "expired") or (second_dose_only and booking.second_slot_id is None):
        return Change(booking, False)
    if booking.status not in ACTIVE_STATUSES:
        raise InvalidTransition(f"a {booking.status} booking cannot be cancelled")
    before = audit.snapshot_booking(booking)
    lock_slots(session, (None if second_dose_only else booking.first_slot_id, booking.second_slot_id))
    freed = free_booking_capacity(session, booking, second_only=second_dose_only)
    if booking.status == "confirmed":
        record_freed(session, freed, freed_reason, booking)
    if second_dose_only:
        booking.second_slot_id, booking.second_pool = None, None
    else:
        booking.status, booking.cancelled_at, booking.cancel_reason = "cancelled", now, reason[:200]
        booking.ended_at = now
    booking.changed_by = actor
    session.flush()
    action = "second_dose_cancelled" if second_dose_only else "cancelled"
    audit.record(session, actor, "booking", booking.id, action, before, audit.snapshot_booking(booking), reason)
    return Change(booking, True)


def rebook(session: Session, booking_id: int, **kwargs) -> Booking:
    """Move a confirmed booking: take the new places first, then give back the old ones."""
    return rebook_change(session, booking_id, **kwargs).booking


def rebook_change(session: Session, booking_id: int, *, first_slot_id: int, second_slot_id: int | None, actor: str,
                  channel: str, now: datetime | None = None, reason: str = "rebook") -> Change:
    """rebook(), telling whether this call moved the booking (the same slots again move nothing)."""
    now = now or utcnow()
    booking = find_locked(session, booking_id)
    if booking.status != "confirmed":
        raise InvalidTransition(f"a {booking.status} booking cannot be rebooked")
    if (booking.first_slot_id, booking.second_slot_id) == (first_slot_id, second_slot_id):
        return Change(booking, False)  # a retry of a rebook that already happened, or no move at all
    check_pair(session, first_slot_id, second_slot_id)
    lock_slots(session, (first_slot_id, second_slot_id, booking.first_slot_id, booking.second_slot_id))
    new_first = take_place(session, first_slot_id, channel, now)
    new_second = take_place(session, second_slot_id, channel, now) if second_slot_id else None
    before = audit.snapshot_booking(booking)
    record_freed(session, free_booking_capacity(session, booking), reason, booking)
    booking.first_slot_id, booking.first_pool = first_slot_id, new_first
    booking.second_slot_id, booking.second_pool = second_slot_id, new_second
    booking.changed_by = actor
    session.flush()
    session.expire(booking, ["first_slot", "second_slot"])
    audit.record(session, actor, "booking", booking.id, "rebooked", before, audit.snapshot_booking(booking), reason)
    return Change(booking, True)


def move_dose(session: Session, booking_id: int, *, dose: str, slot_id: int, actor: str, channel: str = "agent",
              now: datetime | None = None, reason: str = "moved_up") -> Change:
    """Move one dose of a confirmed booking: take the new place first, then give back the old one.

    The pair must still be valid afterwards; the freed place becomes a fill task.
    """
    now = now or utcnow()
    booking = find_locked(session, booking_id)
    if booking.status != "confirmed":
        raise InvalidTransition(f"a {booking.status} booking cannot be moved")
    old_slot, old_pool = getattr(booking, f"{dose}_slot_id"), getattr(booking, f"{dose}_pool")
    if old_slot is None:
        raise InvalidInput("dose", f"this booking has no {dose} dose")
    if old_slot == slot_id:
        return Change(booking, False)
    pair = {"first": booking.first_slot_id, "second": booking.second_slot_id} | {dose: slot_id}
    check_pair(session, pair["first"], pair["second"])
    before = audit.snapshot_booking(booking)
    lock_slots(session, (slot_id, old_slot))
    new_pool = take_place(session, slot_id, channel, now)
    give_back(session, old_slot, old_pool)
    record_freed(session, [(old_slot, old_pool)], reason, booking)
    setattr(booking, f"{dose}_slot_id", slot_id)
    setattr(booking, f"{dose}_pool", new_pool)
    booking.changed_by = actor
    session.flush()
    session.expire(booking, ["first_slot", "second_slot"])
    audit.record(session, actor, "booking", booking.id, "rebooked", before, audit.snapshot_booking(booking), reason)
    return Change(booking, True)


def mark_outcome(session: Session, booking_id: int, *, outcome: str, actor: str, batch: str = "recorded",
                 now: datetime | None = None) -> Booking:
    """Record the due dose as given (`completed` once nothing is left) or missed (`no_show`); see checkin.py."""
    from shared_db.ledger import checkin  # checkin builds on this module

    if outcome not in ("completed", "no_show"):
        raise InvalidInput("outcome", "completed or no_show")
    if outcome == "no_show":
        return checkin.mark_no_show(session, booking_id, actor=actor, now=now).booking
    booking = find_locked(session, booking_id)
    while booking.status == "confirmed" and checkin.due_dose(booking) is not None:
        dose = checkin.due_dose(booking)
        booking = checkin.give_dose(session, booking_id, dose=dose, batch=batch, actor=actor,
                                    now=now or _slot_time(booking, dose)).booking
    if booking.status != "completed":
        raise InvalidTransition(f"a {booking.status} booking has no outcome to record")
    return booking


def _slot_time(booking: Booking, dose: str) -> datetime:
    """Outcomes recorded without a time (imports, old callers) count as given at the appointment."""
    return (booking.first_slot if dose == "first" else booking.second_slot).starts_at


def find_by_code(session: Session, code: str, date_of_birth=None) -> Booking:
    """The booking with this code (and, when given, this person's birth date), or BookingNotFound."""
    booking = session.scalar(select(Booking).where(Booking.code == code))
    if booking is None or (date_of_birth is not None and (
            booking.person is None or booking.person.date_of_birth != date_of_birth)):
        raise BookingNotFound("no booking with this code and date of birth")
    return booking
