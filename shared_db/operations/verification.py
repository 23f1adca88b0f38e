"""Verification: bookings whose priority was claimed, not shown, compared with the institutions' lists.

What Siegen's staff did by hand (names against the lists they had received),
done for the supervisor: each booking marked "to be verified" is shown with
what the lists say about the person (listed under this name and birth date, a
near match such as the same birth date under another spelling, or nothing),
so that a supervisor can mark it verified or cancel it with a reason the
person is told in plain words, with this hotline's number.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from shared_db import audit
from shared_db.errors import InvalidInput
from shared_db.ledger import changes
from shared_db.messages.texts import CANCEL_REASONS
from shared_db.models import ACTIVE_STATUSES, Booking, Invitation, Person, Slot
from shared_db.people.eligibility import TO_VERIFY, VERIFIED
from shared_db.policy import DEFAULT_POLICY, Policy


@dataclass(frozen=True)
class ToVerify:
    booking: Booking
    match: str  # listed, similar, none
    lists: tuple[str, ...]  # the institutions whose list names the person (or someone close)


def to_verify(session: Session, now: datetime, limit: int = 500) -> list[ToVerify]:
    """Active bookings still to be verified, soonest appointment first, each compared with the lists."""
    query = (select(Booking).join(Slot, Slot.id == Booking.first_slot_id).join(Person)
             .where(Booking.verification == TO_VERIFY, Booking.status.in_(ACTIVE_STATUSES), Slot.starts_at >= now)
             .order_by(Slot.starts_at, Booking.id).limit(limit))
    return [_compare(session, b) for b in session.scalars(query)]


def _compare(session: Session, booking: Booking) -> ToVerify:
    person = booking.person
    rows = session.execute(select(Invitation.facility, Invitation.name_key, Invitation.date_of_birth).where(
        or_(Invitation.date_of_birth == person.date_of_birth, Invitation.name_key == person.name_key))).all()
    exact = sorted({f for f, key, born in rows if key == person.name_key and born == person.date_of_birth})
    if exact:
        return ToVerify(booking, "listed", tuple(exact))
    close = sorted({f for f, key, born in rows if born == person.date_of_birth
                    or (key == person.name_key and born is not None)})
    return ToVerify(booking, "similar" if close else "none", tuple(close))


def mark_verified(session: Session, booking_ids: list[int], actor: str) -> int:
    """A supervisor checked these against a list or a document: they count as verified from now on."""
    ids = sorted(set(booking_ids))
    if not ids:
        raise InvalidInput("booking_ids", "select at least one booking")
    changed = session.execute(update(Booking).where(Booking.id.in_(ids), Booking.verification == TO_VERIFY)
                              .values(verification=VERIFIED, changed_by=actor)
                              .execution_options(synchronize_session=False)).rowcount
    for booking_id in ids:
        audit.record(session, actor, "booking", booking_id, "verified", {"verification": TO_VERIFY},
                     {"verification": VERIFIED})
    return changed


def cancel_unverified(session: Session, booking_ids: list[int], why: str, actor: str, now: datetime,
                      policy: Policy = DEFAULT_POLICY) -> int:
    """Cancel the selected bookings; each person is told why in plain words, with this hotline's number."""
    if why not in CANCEL_REASONS:
        raise InvalidInput("why", "choose a reason")
    if not booking_ids:
        raise InvalidInput("booking_ids", "select at least one booking")
    done = changes.cancel_many(session, booking_ids, actor=actor, reason=f"nicht nachgewiesen: {why}",
                               freed_reason="unverified", now=now, why=why, policy=policy)
    return len(done)
