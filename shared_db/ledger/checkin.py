"""Check-in at the centre: a dose given (with its batch), a person turned away, a no-show, a no-show reopened.

A booking's life after confirmation: the first dose given keeps the booking
confirmed with its second-dose place; the last dose given completes it. A booking
not checked in by the end of the centre's day becomes a no-show, which frees its
second dose as a fill task. A given dose keeps its place for good, whatever
happens to the booking later (the ledger check counts it). Functions take a
session and never commit; every change is audited.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, aliased

from shared_db import audit, clock
from shared_db.errors import InvalidInput, InvalidTransition
from shared_db.ledger.bookings import Change, find_locked
from shared_db.ledger.capacity import free_booking_capacity, give_back, lock_slots, record_freed
from shared_db.models import Booking, Centre, FreedCapacity, Slot
from shared_db.types import utcnow

DOSES = ("first", "second")
DEFAULT_CLOSING_HOUR = 20  # the centre's day ends here unless the setting `checkin.closing_hour` says otherwise


def _dose_slot(booking: Booking, dose: str) -> Slot | None:
    return booking.first_slot if dose == "first" else booking.second_slot


def due_dose(booking: Booking) -> str | None:
    """The dose the person comes for next: first, second, or None when nothing is due."""
    if booking.status != "confirmed":
        return None
    if booking.first_given_at is None:
        return "first"
    return "second" if booking.second_slot_id is not None and booking.second_given_at is None else None


def _require_today(booking: Booking, dose: str, now: datetime) -> None:
    """Doses are given and reopened on their appointment's own day at the centre, never ahead or later."""
    slot = _dose_slot(booking, dose)
    tz = slot.centre.timezone
    if clock.local_date(slot.starts_at, tz) != clock.today(now, tz):
        raise InvalidTransition("not_today")


def give_dose(session: Session, booking_id: int, *, dose: str, batch: str, actor: str,
              now: datetime | None = None) -> Change:
    """Record a dose as given with its batch; the last dose completes the booking. The same again changes nothing."""
    now = now or utcnow()
    batch = (batch or "").strip().upper()
    if dose not in DOSES:
        raise InvalidInput("dose", "first or second")
    if not batch or len(batch) > 40:
        raise InvalidInput("batch", "the batch number printed on the vial (1 to 40 characters)")
    booking = find_locked(session, booking_id)
    if getattr(booking, f"{dose}_given_at") is not None and getattr(booking, f"{dose}_batch") == batch:
        return Change(booking, False)  # a double click or a retry
    if due_dose(booking) != dose:
        raise InvalidTransition(f"the {dose} dose is not due (booking is {booking.status})")
    _require_today(booking, dose, now)
    before = audit.snapshot_booking(booking)
    setattr(booking, f"{dose}_given_at", now)
    setattr(booking, f"{dose}_batch", batch)
    if due_dose(booking) is None:  # nothing left to give: single-dose vaccine, or the second dose
        booking.status, booking.ended_at = "completed", now
    booking.changed_by = actor
    session.flush()
    audit.record(session, actor, "booking", booking.id, f"{dose}_dose_given", before, audit.snapshot_booking(booking))
    return Change(booking, True)


def turn_away(session: Session, booking_id: int, *, reason: str, actor: str, now: datetime | None = None) -> Change:
    """The person is not vaccinated today (ill, wrong group, ...): the booking ends, places not used are freed."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason", "say why the person was turned away")
    booking = find_locked(session, booking_id)
    if booking.status == "cancelled" and booking.cancel_reason == reason[:200]:
        return Change(booking, False)
    dose = due_dose(booking)
    if dose is None:
        raise InvalidTransition(f"a {booking.status} booking has no dose due")
    _require_today(booking, dose, now)
    before = audit.snapshot_booking(booking)
    lock_slots(session, (booking.first_slot_id, booking.second_slot_id))
    record_freed(session, free_booking_capacity(session, booking), "turned_away", booking)
    booking.status, booking.cancelled_at, booking.ended_at = "cancelled", now, now
    booking.cancel_reason, booking.changed_by = reason[:200], actor
    session.flush()
    audit.record(session, actor, "booking", booking.id, "turned_away", before, audit.snapshot_booking(booking), reason)
    return Change(booking, True)


def mark_no_show(session: Session, booking_id: int, *, actor: str, now: datetime | None = None) -> Change:
    """Nobody came for the due dose: a no-show. A missed first dose frees the second as a fill task."""
    now = now or utcnow()
    booking = find_locked(session, booking_id)
    if booking.status == "no_show":
        return Change(booking, False)
    dose = due_dose(booking)
    if dose is None:
        raise InvalidTransition(f"a {booking.status} booking has no dose due")
    before = audit.snapshot_booking(booking)
    if dose == "first" and booking.second_slot_id is not None:
        lock_slots(session, (booking.second_slot_id,))
        give_back(session, booking.second_slot_id, booking.second_pool)
        record_freed(session, [(booking.second_slot_id, booking.second_pool)], "no_show", booking)
        booking.second_slot_id, booking.second_pool = None, None
    booking.status, booking.ended_at, booking.changed_by = "no_show", now, actor
    session.flush()
    session.expire(booking, ["second_slot"])
    audit.record(session, actor, "booking", booking.id, "no_show", before, audit.snapshot_booking(booking))
    return Change(booking, True)


def reopen(session: Session, booking_id: int, *, actor: str, reason: str, now: datetime | None = None) -> Change:
    """Undo a no-show on the appointment's day (the person came late): its freed second place is taken back."""
    now = now or utcnow()
    booking = find_locked(session, booking_id)
    if booking.status == "confirmed":
        return Change(booking, False)
    if booking.status != "no_show":
        raise InvalidTransition(f"a {booking.status} booking cannot be reopened")
    missed = "first" if booking.first_given_at is None else "second"
    _require_today(booking, missed, now)
    before = audit.snapshot_booking(booking)
    if missed == "first" and booking.first_slot.vaccine.doses == 2:
        _take_back_second(session, booking)
    booking.status, booking.ended_at, booking.changed_by = "confirmed", None, actor
    session.flush()
    session.expire(booking, ["second_slot"])
    audit.record(session, actor, "booking", booking.id, "reopened", before, audit.snapshot_booking(booking),
                 (reason or "")[:200])
    return Change(booking, True)


def _take_back_second(session: Session, booking: Booking) -> None:
    """Take back the second-dose place the no-show freed, if its fill task is still open; else refuse."""
    task = session.scalar(select(FreedCapacity).where(
        FreedCapacity.source_booking_id == booking.id, FreedCapacity.reason == "no_show",
        FreedCapacity.status == "open").order_by(FreedCapacity.id.desc()).with_for_update())
    if task is None:
        raise InvalidTransition("second_dose_gone")
    lock_slots(session, (task.slot_id,))
    taken, capacity = getattr(Slot, f"{task.pool}_taken"), getattr(Slot, f"{task.pool}_capacity")
    result = session.execute(update(Slot).where(Slot.id == task.slot_id, taken < capacity)
                             .values({taken: taken + 1}).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise InvalidTransition("second_dose_gone")
    task.status, task.outcome = "lapsed", "taken back: no-show reopened"
    booking.second_slot_id, booking.second_pool = task.slot_id, task.pool


# --------------------------------------------------------------------------- the centre's day


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """The first moment of a local day and of the next."""
    start = clock.start_of_day(day, tz)
    return start, clock.start_of_day(day + timedelta(days=1), tz)


def closed_before(centre: Centre, now: datetime, closing_hour: int) -> datetime:
    """Appointments before this moment belong to days that have ended at the centre."""
    tz = centre.timezone
    today = clock.today(now, tz)
    closing = datetime.combine(today, time(closing_hour), clock.zone(tz))
    return day_bounds(today, tz)[1] if now >= closing else day_bounds(today, tz)[0]


def not_checked_in(session: Session, centre_id: int, before: datetime) -> list[int]:
    """Confirmed bookings at a centre whose due dose was before `before` and was not given."""
    first, second = aliased(Slot), aliased(Slot)
    query = (select(Booking.id).join(first, first.id == Booking.first_slot_id)
             .outerjoin(second, second.id == Booking.second_slot_id)
             .where(Booking.status == "confirmed", or_(
                 and_(Booking.first_given_at.is_(None), first.centre_id == centre_id, first.starts_at < before),
                 and_(Booking.first_given_at.isnot(None), Booking.second_given_at.is_(None),
                      second.centre_id == centre_id, second.starts_at < before)))
             .order_by(Booking.id))
    return list(session.scalars(query))


def close_days(session: Session, centre: Centre, *, closing_hour: int, actor: str,
               now: datetime | None = None) -> list[Booking]:
    """End every finished day at a centre: bookings not checked in become no-shows. Safe to run again."""
    now = now or utcnow()
    ids = not_checked_in(session, centre.id, closed_before(centre, now, closing_hour))
    return [mark_no_show(session, booking_id, actor=actor, now=now).booking for booking_id in ids]
