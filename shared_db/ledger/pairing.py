"""Paired doses: which second-dose slots fit a first-dose slot, and offers of bookable pairs.

The interval is counted in local calendar days at the centre, both ends
inclusive: a first dose on Tuesday 6 April with 21-42 days fits second doses
from 27 April to 18 May, whatever the clock time and across the DST change.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from shared_db import clock
from shared_db.errors import InvalidInput, SlotUnavailable
from shared_db.models import Centre, Slot, Vaccine


@dataclass(frozen=True)
class Offer:
    """A bookable first-dose slot with the second dose that goes with it (None for one dose)."""

    first: Slot
    second: Slot | None

    @property
    def ids(self) -> tuple[int, int | None]:
        return self.first.id, self.second.id if self.second else None


def local_date(moment: datetime, tz: str) -> date:
    """The calendar day of a moment at a place."""
    return clock.local_date(moment, tz)


def second_dose_window(first_start: datetime, vaccine: Vaccine, tz: str) -> tuple[datetime, datetime]:
    """UTC [from, to) bounds of the local days on which the second dose may be given."""
    first_day = local_date(first_start, tz)
    zone = ZoneInfo(tz)
    start = datetime.combine(first_day + timedelta(days=vaccine.interval_min_days), time(), zone)
    end = datetime.combine(first_day + timedelta(days=vaccine.interval_max_days + 1), time(), zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def check_pair(session: Session, first_slot_id: int, second_slot_id: int | None) -> None:
    """Raise unless the two slots form a valid pair: same centre and vaccine, right doses, in the interval."""
    first = session.get(Slot, first_slot_id)
    if first is None:
        raise InvalidInput("first_slot_id", "not a first-dose slot")
    second = session.get(Slot, second_slot_id) if second_slot_id is not None else None
    validate_pair(first, first.vaccine, first.centre.timezone, second, second_slot_id)


def validate_pair(first, vaccine, tz: str, second, second_slot_id: int | None) -> None:
    """The pair rules on loaded values (ORM objects or rows with the same names); raises InvalidInput."""
    if first.dose != "first":
        raise InvalidInput("first_slot_id", "not a first-dose slot")
    if vaccine.doses == 1:
        if second_slot_id is not None:
            raise InvalidInput("second_slot_id", f"{vaccine.name} needs only one dose")
        return
    if second is None or second.dose != "second":
        raise InvalidInput("second_slot_id", "a second-dose slot is needed")
    if (second.centre_id, second.vaccine_id) != (first.centre_id, first.vaccine_id):
        raise InvalidInput("second_slot_id", "second dose must be at the same centre with the same vaccine")
    lo, hi = second_dose_window(first.starts_at, vaccine, tz)
    if not lo <= second.starts_at < hi:
        raise InvalidInput("second_slot_id", "second dose outside the vaccine's interval")


def free_condition(channel: str, now: datetime):
    """SQL: the slot has a place this channel may take."""
    phone_free = Slot.phone_taken < Slot.phone_capacity
    online_free = Slot.online_taken < Slot.online_capacity
    if channel == "phone":
        return phone_free
    if channel == "online":
        return or_(online_free, and_(phone_free, Slot.phone_release_at <= now))
    return or_(phone_free, online_free)


def find_offers(session: Session, *, centre_ids: Sequence[int], channel: str, now: datetime,
                vaccine_ids: Iterable[int] | None = None, after: datetime | None = None,
                before: datetime | None = None, limit: int = 5, scan: int = 200) -> list[Offer]:
    """Earliest first-dose slots (at most `limit`, looking at up to `scan`) for which a second dose is bookable too.

    First doses are read in growing pages, so a short offer list reads a few rows, not `scan` of them.
    """
    seconds: dict[tuple, Slot | None] = {}  # one lookup per centre, vaccine and local day of the first dose
    offers: list[Offer] = []
    page, seen, last = max(2 * limit, 10), 0, None
    while seen < scan:
        firsts = _free_slots(session, centre_ids, "first", channel, now, vaccine_ids, after or now, before,
                             min(page, scan - seen), last)
        for first in firsts:
            second = _earliest_second(session, first, channel, now, seconds)
            if first.vaccine.doses == 1 or second is not None:
                offers.append(Offer(first, second))
                if len(offers) == limit:
                    return offers
        if len(firsts) < min(page, scan - seen):
            break
        seen, last, page = seen + len(firsts), firsts[-1], page * 4
    return offers


def offer_for(session: Session, first_slot_id: int, channel: str, now: datetime) -> Offer:
    """The pair for one chosen first-dose slot, or SlotUnavailable."""
    first = session.get(Slot, first_slot_id)
    if first is None or first.dose != "first":
        raise InvalidInput("first_slot_id", "not a first-dose slot")
    if first.vaccine.doses == 1:
        return Offer(first, None)
    second = _earliest_second(session, first, channel, now, {})
    if second is None:
        raise SlotUnavailable("no second-dose place fits this first dose")
    return Offer(first, second)


def _free_slots(session, centre_ids, dose, channel, now, vaccine_ids, after, before, limit,
                last: Slot | None = None) -> list[Slot]:
    query = (select(Slot).join(Centre).where(Slot.centre_id.in_(list(centre_ids)), Slot.dose == dose,
                                             Centre.active.is_(True), Slot.starts_at > after,
                                             free_condition(channel, now))
             .order_by(Slot.starts_at, Slot.id).limit(limit))
    if last is not None:  # keyset paging: rows after the last one seen, whatever was booked meanwhile
        query = query.where(or_(Slot.starts_at > last.starts_at,
                                and_(Slot.starts_at == last.starts_at, Slot.id > last.id)))
    if vaccine_ids is not None:
        query = query.where(Slot.vaccine_id.in_(list(vaccine_ids)))
    if before is not None:
        query = query.where(Slot.starts_at < before)
    return list(session.scalars(query))


def _earliest_second(session: Session, first: Slot, channel: str, now: datetime,
                     known: dict[tuple, Slot | None]) -> Slot | None:
    """The earliest free second-dose slot fitting `first` (None for one dose), asked once per window.

    All first doses of one local day share a window, so an offer list costs a
    query or two that return one row each, not every free slot of six weeks.
    """
    if first.vaccine.doses == 1:
        return None
    lo, hi = second_dose_window(first.starts_at, first.vaccine, first.centre.timezone)
    key = (first.centre_id, first.vaccine_id, lo, hi)
    if key not in known:
        known[key] = session.scalars(
            select(Slot).where(Slot.dose == "second", Slot.centre_id == first.centre_id,
                               Slot.vaccine_id == first.vaccine_id, Slot.starts_at >= lo, Slot.starts_at < hi,
                               free_condition(channel, now))
            .order_by(Slot.starts_at, Slot.id).limit(1)).first()
    return known[key]
