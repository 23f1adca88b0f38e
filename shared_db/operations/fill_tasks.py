"""Fill freed places: tasks from freed_capacity, candidates to phone, and moving people up.

Capacity given back by a cancellation, a phantom clean-up or a no-show is a
row in freed_capacity (written by the ledger). Agents claim one (10 minutes),
phone a candidate and record what happened. "Moved up" rebooks the candidate
onto the freed place in the caller's transaction; their later place is freed
by the same ledger code and so becomes a new task.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from shared_db import audit, clock
from shared_db.errors import InvalidInput, InvalidTransition, SlotUnavailable
from shared_db.ledger import changes
from shared_db.ledger.pairing import offer_for, second_dose_window
from shared_db.models import (
    ACTIVE_STATUSES,
    Booking,
    CallbackRequest,
    FreedCapacity,
    Person,
    Slot,
)
from shared_db.operations import claims
from shared_db.people.eligibility import Facts, assess, load_rules
from shared_db.policy import DEFAULT_POLICY, Policy
from shared_db.settings import get_setting

CANDIDATE_LIMIT = 10


@dataclass
class Candidate:
    """Someone an agent could phone for a freed place."""

    kind: str  # move_up, notify, callback
    phone: str | None
    priority: int | None
    waiting_since: datetime
    person: Person | None = None
    booking: Booking | None = None
    callback: CallbackRequest | None = None


def open_condition(now: datetime):
    """SQL: tasks an agent may take now."""
    return or_(FreedCapacity.status == "open",
               and_(FreedCapacity.status == "claimed", FreedCapacity.claim_expires_at <= now))


def list_tasks(session: Session, now: datetime, user_id: int | None = None, limit: int = 100) -> list[FreedCapacity]:
    """Takeable tasks (and the user's own claims) for places starting in the next days, soonest first."""
    days = int(get_setting(session, "fill.days_ahead"))
    mine = and_(FreedCapacity.status == "claimed", FreedCapacity.claimed_by == user_id)
    return list(session.scalars(
        select(FreedCapacity).join(Slot, Slot.id == FreedCapacity.slot_id)
        .where(or_(open_condition(now), mine), Slot.starts_at > now, Slot.starts_at <= now + timedelta(days=days))
        .order_by(Slot.starts_at, FreedCapacity.id).limit(limit)))


def claim(session: Session, task_id: int, user_id: int, now: datetime) -> bool:
    """Claim a task for 10 minutes; False when another agent holds it or it is done."""
    return claims.claim(session, FreedCapacity, task_id, user_id, now, "open")


def release(session: Session, task_id: int, user_id: int) -> bool:
    """Give a claimed task back to the list."""
    return claims.release(session, FreedCapacity, task_id, user_id, "open")


def _own_task(session: Session, task_id: int, user_id: int, now: datetime) -> FreedCapacity:
    task = session.get(FreedCapacity, task_id, with_for_update=True, populate_existing=True)
    if task is None or not claims.holds_claim(task, user_id, now):
        raise InvalidTransition("claim lapsed or held by someone else")
    return task


# --------------------------------------------------------------------------- candidates


def candidates(session: Session, task: FreedCapacity, now: datetime) -> list[Candidate]:
    """People to phone: later appointments at the same centre and vaccine first, then waiting lists."""
    slot = task.slot
    found = _move_up_candidates(session, slot, now)
    if slot.dose == "first":
        found += _notify_candidates(session, slot, now) + _callback_candidates(session, now)
    return found


def _reachable():
    return or_(Person.phone.isnot(None), Booking.caller_number.isnot(None))


def _move_up_candidates(session: Session, slot: Slot, now: datetime) -> list[Candidate]:
    held = aliased(Slot)
    column = Booking.first_slot_id if slot.dose == "first" else Booking.second_slot_id
    rows = session.scalars(
        select(Booking).join(held, held.id == column).join(Person, Person.id == Booking.person_id)
        .where(Booking.status == "confirmed", held.centre_id == slot.centre_id, held.vaccine_id == slot.vaccine_id,
               held.starts_at > slot.starts_at, _reachable())
        .order_by(Person.priority_group.is_(None), Person.priority_group, Booking.confirmed_at, Booking.id)
        .limit(CANDIDATE_LIMIT * 5))
    found = []
    for b in rows:
        if slot.dose == "second" and not _fits_second(b.first_slot, slot):
            continue
        found.append(Candidate("move_up", b.person.phone or b.caller_number, b.person.priority_group,
                               b.confirmed_at or b.created_at, b.person, b))
        if len(found) == CANDIDATE_LIMIT:
            break
    return found


def _fits_second(first: Slot, second: Slot) -> bool:
    lo, hi = second_dose_window(first.starts_at, first.vaccine, first.centre.timezone)
    return lo <= second.starts_at < hi


def _notify_candidates(session: Session, slot: Slot, now: datetime) -> list[Candidate]:
    """People on the notify list with no active booking who may have this vaccine at this centre today."""
    active = select(Booking.person_id).where(Booking.status.in_(ACTIVE_STATUSES), Booking.person_id.isnot(None))
    people = session.scalars(
        select(Person).where(Person.wants_notification.is_(True), Person.phone.isnot(None),
                             Person.id.not_in(active))
        .order_by(Person.priority_group.is_(None), Person.priority_group, Person.created_at).limit(200))
    rules, today, found = load_rules(session), clock.today(now), []
    for person in people:
        verdict = assess(Facts(person.date_of_birth), rules, today, "agent", slot.centre_id)
        if verdict.eligible and slot.vaccine.code in verdict.vaccines:
            found.append(Candidate("notify", person.phone, person.priority_group or verdict.group,
                                   person.created_at, person))
            if len(found) == CANDIDATE_LIMIT:
                break
    return found


def _callback_candidates(session: Session, now: datetime) -> list[Candidate]:
    rows = session.scalars(select(CallbackRequest).where(CallbackRequest.status == "pending")
                           .order_by(CallbackRequest.place_at).limit(CANDIDATE_LIMIT // 2))
    return [Candidate("callback", r.phone, None, r.place_at, callback=r) for r in rows]


# --------------------------------------------------------------------------- outcomes


def move_up(session: Session, task_id: int, booking_id: int, user_id: int, now: datetime) -> Booking:
    """Move a later booking onto the freed place (one transaction) and mark the task filled."""
    task = _own_task(session, task_id, user_id, now)
    actor = f"agent:{user_id}"
    target = session.get(Booking, booking_id)
    if target is None or target.status != "confirmed":
        raise InvalidTransition("only a confirmed booking can be moved up")
    slot = task.slot
    if slot.dose == "first":
        moved = _move_first(session, target, slot, actor, now)
    else:
        if target.second_slot is None or not _fits_second(target.first_slot, slot):
            raise InvalidInput("booking_id", "the freed second dose does not fit this booking")
        moved = changes.move_dose(session, target.id, dose="second", slot_id=slot.id, actor=actor, now=now)
    _finish(session, task, "filled", f"moved_up:{moved.code}", actor, moved.id)
    return moved


def _move_first(session: Session, target: Booking, slot: Slot, actor: str, now: datetime) -> Booking:
    if (target.first_slot.centre_id, target.first_slot.vaccine_id) != (slot.centre_id, slot.vaccine_id):
        raise InvalidInput("booking_id", "another centre or vaccine")
    if target.second_slot is not None and _fits_second(slot, target.second_slot):  # the second dose can stay
        return changes.move_dose(session, target.id, dose="first", slot_id=slot.id, actor=actor, now=now)
    second = offer_for(session, slot.id, "agent", now).second
    return changes.rebook_booking(session, target.id, first_slot_id=slot.id,
                                  second_slot_id=second.id if second else None, actor=actor, channel="agent",
                                  now=now, reason="moved_up")


def book_candidate(session: Session, task_id: int, person_id: int, user_id: int, now: datetime,
                   policy: Policy = DEFAULT_POLICY) -> Booking:
    """Book a person from the notify list onto the freed place (with a fitting second dose)."""
    from shared_db.people import PersonDetails

    task = _own_task(session, task_id, user_id, now)
    person = session.get(Person, person_id)
    if person is None:
        raise InvalidInput("person_id", "no such person")
    offer = offer_for(session, task.slot_id, "agent", now)
    details = PersonDetails(name=person.name, date_of_birth=person.date_of_birth, postcode=person.postcode,
                            phone=person.phone, language=person.language)
    actor = f"agent:{user_id}"
    booked = changes.book_now(session, first_slot_id=offer.first.id,
                              second_slot_id=offer.second.id if offer.second else None, details=details,
                              channel="agent", actor=actor, now=now, policy=policy)
    _finish(session, task, "filled", f"booked:{booked.code}", actor, booked.id)
    return booked


def give_up(session: Session, task_id: int, user_id: int, now: datetime, note: str = "") -> FreedCapacity:
    """Nobody could take the place: the task lapses (the place stays free for anyone)."""
    task = _own_task(session, task_id, user_id, now)
    _finish(session, task, "lapsed", ("lapsed: " + note)[:200] if note else "lapsed", f"agent:{user_id}")
    return task


def _finish(session: Session, task: FreedCapacity, status: str, outcome: str, actor: str,
            booking_id: int | None = None) -> None:
    before = {"status": task.status}
    task.status, task.outcome, task.filled_booking_id = status, outcome[:200], booking_id
    task.claim_expires_at = None
    session.flush()
    audit.record(session, actor, "fill_task", task.id, f"fill_{status}", before,
                 {"status": status, "booking_id": booking_id})


def slot_has_room(slot: Slot) -> bool:
    """Whether an agent could still book the place (any pool), as last loaded."""
    return slot.free("phone") > 0 or slot.free("online") > 0


__all__ = ["Candidate", "list_tasks", "claim", "release", "candidates", "move_up", "book_candidate", "give_up",
           "SlotUnavailable"]
