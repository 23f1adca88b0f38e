"""The use cases: every booking change, whichever channel asks, is one function here.

IVR steps, API views, console views, fill tasks, the phantom clean-up and the
jobs call these and nothing below them. Each writes the change, its audit rows
(the ledger writes those) and the outbox row that tells the person, all in the
caller's transaction; the services send the message after the commit. A change
repeated by a retry changes nothing and announces nothing.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shared_db import audit, settings
from shared_db.errors import InvalidInput, NeedsAgent, PersonAlreadyBooked
from shared_db.ledger import bookings, checkin, supply, visits
from shared_db.ledger.holds import hold
from shared_db.ledger.pairing import find_offers
from shared_db.messages import outbox
from shared_db.models import ACTIVE_STATUSES, Booking, CareHomeVisit, Centre, FreedCapacity, Slot
from shared_db.people import invitations
from shared_db.people.identity import PersonDetails
from shared_db.people.registry import last_outcome
from shared_db.policy import DEFAULT_POLICY, Policy
from shared_db.types import utcnow


def hold_offer(session: Session, *, first_slot_id: int, second_slot_id: int | None, channel: str, actor: str,
               policy: Policy = DEFAULT_POLICY, caller_number: str | None = None,
               now: datetime | None = None) -> Booking:
    """Hold a pair for the person deciding, for the policy's hold time."""
    return hold(session, first_slot_id=first_slot_id, second_slot_id=second_slot_id, channel=channel, actor=actor,
                caller_number=caller_number, now=now, hold_seconds=policy.hold_seconds)


def confirm_hold(session: Session, hold_id: int, *, details: PersonDetails, actor: str,
                 policy: Policy = DEFAULT_POLICY, now: datetime | None = None, announce: bool = True,
                 verification: str | None = None, invitation_id: int | None = None) -> Booking:
    """Book a hold for a person and announce it; a repeated confirm returns the booking, silently.

    `announce=False` when the person just heard it all on a landline call and has no SMS to get.
    `invitation_id` is the invitation that admitted the person: this booking uses it up, atomically
    (InvitationUsed when another booking got it first; the caller's transaction then undoes the confirm).
    """
    _check_no_show_rule(session, hold_id, details)
    change = bookings.confirm_change(session, hold_id, details=details, actor=actor, now=now,
                                     caller_limit=policy.caller_limit, retention_days=policy.retention_days,
                                     completed_retention_days=policy.completed_retention_days,
                                     verification=verification)
    if change.changed and invitation_id is not None:
        invitations.consume(session, invitation_id, change.booking.id, actor)
    if change.changed and announce:
        outbox.announce_booking(session, change.booking, "confirmation")
    return change.booking


def book_now(session: Session, *, first_slot_id: int, second_slot_id: int | None, details: PersonDetails,
             channel: str, actor: str, policy: Policy = DEFAULT_POLICY, caller_number: str | None = None,
             now: datetime | None = None, override: str | None = None, override_reason: str = "",
             verification: str | None = None, invitation_id: int | None = None) -> Booking:
    """Hold and confirm in one step (agents, fill tasks) and announce it.

    `override` names the eligibility verdict a supervisor overrode; it is audited with the reason.
    """
    now = now or utcnow()
    held = hold_offer(session, first_slot_id=first_slot_id, second_slot_id=second_slot_id, channel=channel,
                      actor=actor, policy=policy, caller_number=caller_number, now=now)
    booked = confirm_hold(session, held.id, details=details, actor=actor, policy=policy, now=now,
                          verification=verification, invitation_id=invitation_id)
    if override is not None:
        audit.record(session, actor, "booking", booked.id, "eligibility_override",
                     after={"reason_code": override}, reason=override_reason[:200])
    return booked


def release_hold(session: Session, hold_id: int, *, actor: str, reason: str, now: datetime | None = None) -> Booking:
    """Give a hold's places back (the person went away); anything that is no longer a hold is left as it is."""
    held = bookings.find_locked(session, hold_id)
    if held.status == "held":
        return bookings.cancel(session, hold_id, actor=actor, reason=reason, now=now)
    return held


def cancel_booking(session: Session, booking_id: int, *, actor: str, reason: str, second_dose_only: bool = False,
                   now: datetime | None = None, freed_reason: str = "cancellation",
                   message: str = "cancellation", announce: bool = True, why: str | None = None,
                   policy: Policy = DEFAULT_POLICY) -> Booking:
    """Cancel a booking (or its second dose), free the places and tell the person (and why, when `why` is set)."""
    change = bookings.cancel_change(session, booking_id, actor=actor, reason=reason, now=now,
                                    second_dose_only=second_dose_only, freed_reason=freed_reason)
    # A hold that lapses or is given back was never announced, so its end is not either.
    ended = change.changed and change.booking.status == "cancelled" and change.booking.confirmed_at is not None
    if change.changed and change.booking.status == "cancelled":
        invitations.release(session, booking_id, actor)  # the invited person may book again
    if ended and announce:
        outbox.announce_booking(session, change.booking, message, why=why, hotline=policy.hotline_number)
    return change.booking


def cancel_many(session: Session, booking_ids: list[int], *, actor: str, reason: str, freed_reason: str,
                now: datetime | None = None, why: str | None = None,
                policy: Policy = DEFAULT_POLICY, message: str = "cancellation") -> list[Booking]:
    """Cancel many bookings in one transaction (phantom clean-up, cuts in supply); each person is told why."""
    done = []
    for booking_id in sorted(set(booking_ids)):  # one order, so two supervisors cannot deadlock
        current = session.get(Booking, booking_id)
        if current is None or current.status not in ACTIVE_STATUSES:
            continue
        done.append(cancel_booking(session, booking_id, actor=actor, reason=reason, now=now,
                                   freed_reason=freed_reason, why=why, policy=policy, message=message))
    return done


def rebook_booking(session: Session, booking_id: int, *, first_slot_id: int, second_slot_id: int | None,
                   actor: str, channel: str, reason: str, now: datetime | None = None,
                   announce: bool = True, message: str = "rebooked") -> Booking:
    """Move a booking to other slots and tell the person; the same slots again change nothing."""
    change = bookings.rebook_change(session, booking_id, first_slot_id=first_slot_id, second_slot_id=second_slot_id,
                                    actor=actor, channel=channel, now=now, reason=reason)
    if change.changed and announce:
        outbox.announce_booking(session, change.booking, message)
    return change.booking


def move_dose(session: Session, booking_id: int, *, dose: str, slot_id: int, actor: str,
              reason: str = "moved_up", now: datetime | None = None) -> Booking:
    """Move one dose onto a freed place (moving people up) and tell the person."""
    change = bookings.move_dose(session, booking_id, dose=dose, slot_id=slot_id, actor=actor, now=now, reason=reason)
    if change.changed:
        outbox.announce_booking(session, change.booking, "rebooked")
    return change.booking


def _check_no_show_rule(session: Session, hold_id: int, details: PersonDetails) -> None:
    """By setting, a person whose last appointment was missed is booked again only by an agent."""
    held = session.get(Booking, hold_id)
    if held is None or held.channel == "agent" or held.status != "held":
        return
    if settings.get_setting(session, "rebooking.no_show_needs_agent") and last_outcome(session, details) == "no_show":
        raise NeedsAgent("the last appointment was missed: an agent books again")


def record_outcome(session: Session, booking_id: int, *, outcome: str, actor: str) -> Booking:
    """Record that the due dose was given (`completed`) or missed (`no_show`); see `give_dose` for check-in."""
    return bookings.mark_outcome(session, booking_id, outcome=outcome, actor=actor)


# --------------------------------------------------------------------------- check-in at the centre


def give_dose(session: Session, booking_id: int, *, dose: str, batch: str, actor: str,
              now: datetime | None = None) -> Booking:
    """The centre gave the due dose (batch recorded); the second stays booked, the last completes the booking."""
    return checkin.give_dose(session, booking_id, dose=dose, batch=batch, actor=actor, now=now).booking


def turn_away(session: Session, booking_id: int, *, reason: str, actor: str, now: datetime | None = None) -> Booking:
    """The centre turned the person away: the booking ends, unused places become fill tasks (told at the door)."""
    return checkin.turn_away(session, booking_id, reason=reason, actor=actor, now=now).booking


def reopen_no_show(session: Session, booking_id: int, *, actor: str, reason: str,
                   now: datetime | None = None) -> Booking:
    """Undo a no-show on the appointment's day; the freed second-dose place is taken back."""
    return checkin.reopen(session, booking_id, actor=actor, reason=reason, now=now).booking


def close_centre_days(session: Session, centre_id: int, *, actor: str = "system:end_of_day",
                      now: datetime | None = None) -> list[Booking]:
    """End the centre's finished days: bookings not checked in become no-shows, second doses fill tasks."""
    centre = session.get(Centre, centre_id)
    hour = settings.get_setting(session, "checkin.closing_hour")
    return checkin.close_days(session, centre, closing_hour=hour, actor=actor, now=now)


# --------------------------------------------------------------------------- a cut in supply


def record_delivery(session: Session, *, centre_id: int, vaccine_id: int, week: date, doses: int, status: str,
                    actor: str) -> int:
    """Record a week's doses; free places above them go at once. Returns how many places were removed."""
    return supply.record_delivery(session, centre_id=centre_id, vaccine_id=vaccine_id, week=week, doses=doses,
                                  status=status, actor=actor)[1]


def reduce_capacity(session: Session, scope: supply.Scope, *, actor: str, reason: str, places: int | None = None,
                    now: datetime | None = None) -> int:
    """Take free places of the scope away (all, or `places` of them, latest first); bookings stay."""
    now = now or utcnow()
    scope.check()
    removed = supply.remove_free_places(session, (*supply.scope_slots(session, scope), Slot.starts_at > now), places)
    _audit_bulk(session, scope, actor, "capacity_reduced", {"places_removed": removed}, reason)
    return removed


def cancel_range(session: Session, scope: supply.Scope, *, actor: str, reason: str,
                 now: datetime | None = None) -> list[Booking]:
    """Cancel the scope's bookings (first dose in it, not given) and take their places away; each person is told."""
    now = now or utcnow()
    ids = supply.preview(session, scope, now).bookings
    done = cancel_many(session, ids, actor=actor, reason=reason, freed_reason="supply_cut", now=now,
                       message="cancelled_supply")
    removed = _drop_freed_places(session, scope, now)
    _audit_bulk(session, scope, actor, "bookings_cancelled", {"bookings": len(done), "places_removed": removed},
                reason)
    return done


def move_range(session: Session, scope: supply.Scope, *, actor: str, reason: str,
               now: datetime | None = None) -> tuple[list[Booking], list[Booking]]:
    """Move the scope's bookings to the next free pair after it, at the centre or a neighbouring one.

    Whoever finds no place is cancelled. Each person is told the reason and the new time. Returns (moved, cancelled).
    """
    now = now or utcnow()
    ids = supply.preview(session, scope, now).bookings
    centres, moved, cancelled = supply.move_centres(session, scope.centre_id), [], []
    after = supply.scope_end(session, scope)
    for booking_id in ids:
        offers = find_offers(session, centre_ids=centres, channel="agent", now=now, vaccine_ids=[scope.vaccine_id],
                             after=after, limit=1)
        if offers:
            first, second = offers[0].ids
            moved.append(rebook_booking(session, booking_id, first_slot_id=first, second_slot_id=second, actor=actor,
                                        channel="agent", reason=reason, now=now, message="moved_supply"))
        else:
            cancelled.append(cancel_booking(session, booking_id, actor=actor, reason=reason, now=now,
                                            freed_reason="supply_cut", message="cancelled_supply"))
    removed = _drop_freed_places(session, scope, now)
    _audit_bulk(session, scope, actor, "bookings_moved",
                {"moved": len(moved), "cancelled": len(cancelled), "places_removed": removed}, reason)
    return moved, cancelled


def _drop_freed_places(session: Session, scope: supply.Scope, now: datetime) -> int:
    """Places freed inside the scope have no vaccine behind them: no fill task, and they are taken away."""
    in_scope = select(Slot.id).where(*supply.scope_slots(session, scope))
    session.execute(update(FreedCapacity).where(FreedCapacity.slot_id.in_(in_scope), FreedCapacity.status == "open")
                    .values(status="lapsed", outcome="supply cut").execution_options(synchronize_session=False))
    return supply.remove_free_places(session, (*supply.scope_slots(session, scope), Slot.starts_at > now), None)


def _audit_bulk(session: Session, scope: supply.Scope, actor: str, action: str, counts: dict, reason: str) -> None:
    audit.record(session, actor, "centre", scope.centre_id, action,
                 {"vaccine_id": scope.vaccine_id, "first_day": scope.first_day.isoformat(),
                  "last_day": scope.last_day.isoformat()}, counts, reason[:200])


# --------------------------------------------------------------------------- mobile teams for care homes


def book_care_home_visit(session: Session, *, first_slot_id: int, second_slot_id: int | None, home_name: str,
                         home_address: str, residents_text: str, actor: str,
                         policy: Policy = DEFAULT_POLICY, now: datetime | None = None) -> CareHomeVisit:
    """Book a mobile team's visit: every resident of the home's list on one pair, all or none; audited.

    Residents are booked by the agent with no calling number (not counted against per-number limits).
    A resident who is booked already stops the whole visit with their line number.
    """
    now = now or utcnow()
    if not home_name.strip() or not home_address.strip():
        raise InvalidInput("home", "the home's name and address")
    residents = visits.parse_residents(residents_text)
    first = session.get(Slot, first_slot_id)
    if first is None:
        raise InvalidInput("first_slot_id", "not a slot")
    visit = CareHomeVisit(centre_id=first.centre_id, vaccine_id=first.vaccine_id, home_name=home_name.strip()[:160],
                          home_address=home_address.strip()[:200], first_slot_id=first_slot_id,
                          second_slot_id=second_slot_id, created_by=actor, created_at=now)
    session.add(visit)
    session.flush()
    for resident in residents:
        try:
            booking = book_now(session, first_slot_id=first_slot_id, second_slot_id=second_slot_id,
                               details=resident.details, channel="agent", actor=actor, policy=policy, now=now)
        except PersonAlreadyBooked as exc:
            raise InvalidInput("residents", f"line {resident.line}: already booked ({exc.booking_code})") from None
        except InvalidInput as exc:
            raise InvalidInput("residents", f"line {resident.line}: {exc.message}") from None
        booking.visit_id = visit.id
    session.flush()
    audit.record(session, actor, "care_home_visit", visit.id, "visit_booked", None, {"residents": len(residents)})
    return visit
