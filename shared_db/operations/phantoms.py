"""Phantom bookings: find the suspicious ones, cancel a selection in bulk.

Signals (each booking lists the ones that apply):
  many_per_number  the calling number booked for >= N different people in the window
  many_per_person  the person made >= N bookings (any status) in the window
  burst            >= N bookings from one calling number or one creator within a few minutes
  not_invited      the centre/vaccine is open only to invited people and the person is on no list
  unconfirmed      the centre asks for reconfirmation and the booking was not reconfirmed
Cancelling goes through the ledger (freed places become fill tasks), tells each
person through the outbox and is audited with the supervisor's id.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from shared_db.errors import InvalidInput
from shared_db.ledger import changes
from shared_db.models import ACTIVE_STATUSES, Booking, CampaignWindow, Centre
from shared_db.people.invitations import is_listed

WINDOW_DAYS = 7
PER_NUMBER, PER_PERSON = 3, 3
BURST_COUNT, BURST_MINUTES = 3, 10
UNCONFIRMED_HOURS = 72


@dataclass
class Suspect:
    booking: Booking
    reasons: list[str] = field(default_factory=list)


def find(session: Session, now: datetime, limit: int = 500) -> list[Suspect]:
    """Active future bookings with at least one phantom signal, most signals first."""
    since = now - timedelta(days=WINDOW_DAYS)
    recent = list(session.scalars(select(Booking).where(Booking.created_at >= since)
                                  .options(selectinload(Booking.person), selectinload(Booking.first_slot))))
    active = [b for b in recent if b.status in ACTIVE_STATUSES and b.first_slot.starts_at > now]
    reasons: dict[int, list[str]] = defaultdict(list)
    signals = ((_many_per_number(recent), "many_per_number"), (_many_per_person(recent), "many_per_person"),
               (_bursts(recent), "burst"), (_not_invited(session, active), "not_invited"),
               (_unconfirmed(session, active, now), "unconfirmed"))
    for flagged, reason in signals:
        for booking_id in flagged:
            reasons[booking_id].append(reason)
    suspects = [Suspect(b, reasons[b.id]) for b in active if reasons.get(b.id)]
    suspects.sort(key=lambda s: (-len(s.reasons), s.booking.created_at))
    return suspects[:limit]


def _many_per_number(bookings: list[Booking]) -> set[int]:
    people = defaultdict(set)
    for b in bookings:
        if b.caller_number and b.person_id:
            people[b.caller_number].add(b.person_id)
    return {b.id for b in bookings if b.caller_number and len(people[b.caller_number]) >= PER_NUMBER}


def _many_per_person(bookings: list[Booking]) -> set[int]:
    count = defaultdict(int)
    for b in bookings:
        if b.person_id:
            count[b.person_id] += 1
    return {b.id for b in bookings if b.person_id and count[b.person_id] >= PER_PERSON}


def _bursts(bookings: list[Booking]) -> set[int]:
    """Bookings that fall in a short window with enough others from the same number or creator."""
    groups = defaultdict(list)
    for b in bookings:
        groups[("number", b.caller_number) if b.caller_number else ("creator", b.created_by)].append(b)
    flagged: set[int] = set()
    span = timedelta(minutes=BURST_MINUTES)
    for key, items in groups.items():
        if key[1] is None or key[1] == "system" or str(key[1]).startswith("agent:"):
            continue  # agents book many people on purpose
        items.sort(key=lambda b: b.created_at)
        start = 0
        for end, b in enumerate(items):
            while b.created_at - items[start].created_at > span:
                start += 1
            if end - start + 1 >= BURST_COUNT:
                flagged.update(x.id for x in items[start:end + 1])
    return flagged


def _not_invited(session: Session, active: list[Booking]) -> set[int]:
    windows = list(session.scalars(select(CampaignWindow).where(CampaignWindow.requires_invitation.is_(True))))
    if not windows:
        return set()
    flagged = set()
    for b in active:
        slot = b.first_slot
        needs = any(w.centre_id in (None, slot.centre_id) and w.vaccine_id in (None, slot.vaccine_id) for w in windows)
        if needs and b.person and not is_listed(session, b.person.name_key, b.person.date_of_birth):
            flagged.add(b.id)
    return flagged


def _unconfirmed(session: Session, active: list[Booking], now: datetime) -> set[int]:
    asking = set(session.scalars(select(Centre.id).where(Centre.reconfirmation_enabled.is_(True))))
    soon = now + timedelta(hours=UNCONFIRMED_HOURS)
    return {b.id for b in active if b.status == "confirmed" and b.first_slot.centre_id in asking
            and b.reconfirmed_at is None and b.first_slot.starts_at <= soon}


def cancel_many(session: Session, booking_ids: list[int], reason: str, actor: str, now: datetime) -> int:
    """Cancel the selected bookings as phantoms, notify each person; returns how many were cancelled."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason", "a reason is needed")
    if not booking_ids:
        raise InvalidInput("booking_ids", "select at least one booking")
    done = changes.cancel_many(session, booking_ids, actor=actor, reason=f"phantom: {reason}", now=now,
                               freed_reason="phantom")
    return len(done)
