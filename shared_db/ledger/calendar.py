"""Free places per day for a centre and vaccine: what the console's booking calendar shows.

A day counts the free first-dose places a channel may take, split into morning
(before 12:00 local time) and afternoon; whether a second dose fits is decided
when the day's times are listed (`day_offers`), as `find_offers` does.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared_db import clock
from shared_db.ledger.pairing import Offer, find_offers, free_condition
from shared_db.models import Centre, Slot

NOON = 12


@dataclass(frozen=True)
class FreeDay:
    """Free first-dose places of one local day, before and after noon."""

    day: date
    morning: int = 0
    afternoon: int = 0

    @property
    def total(self) -> int:
        return self.morning + self.afternoon


def places_for(channel: str, row, now: datetime) -> int:
    """Free places of a slot row that a channel may take (the agent may use either pool)."""
    phone = row.phone_capacity - row.phone_taken
    online = row.online_capacity - row.online_taken
    if channel == "phone":
        return phone
    if channel == "online":
        return online + (phone if row.phone_release_at <= now else 0)
    return phone + online


def free_days(session: Session, *, centre_id: int, vaccine_ids: Iterable[int], channel: str, now: datetime,
              first_day: date, days: int) -> dict[date, FreeDay]:
    """Free first-dose places per local day from `first_day` for `days` days (days without any are left out)."""
    tz = session.scalar(select(Centre.timezone).where(Centre.id == centre_id))
    start = clock.start_of_day(first_day, tz).astimezone(UTC)
    end = clock.start_of_day(first_day + timedelta(days=days), tz).astimezone(UTC)
    rows = session.execute(
        select(Slot.starts_at, Slot.phone_capacity, Slot.phone_taken, Slot.online_capacity, Slot.online_taken,
               Slot.phone_release_at)
        .where(Slot.centre_id == centre_id, Slot.vaccine_id.in_(list(vaccine_ids)), Slot.dose == "first",
               Slot.starts_at >= start, Slot.starts_at > now, Slot.starts_at < end, free_condition(channel, now)))
    counts: dict[date, list[int]] = {}
    for row in rows:
        moment = clock.local(row.starts_at, tz)
        halves = counts.setdefault(moment.date(), [0, 0])
        halves[0 if moment.hour < NOON else 1] += places_for(channel, row, now)
    return {day: FreeDay(day, *halves) for day, halves in sorted(counts.items())}


def day_offers(session: Session, *, centre_id: int, vaccine_ids: Iterable[int], channel: str, now: datetime,
               day: date, limit: int = 200) -> list[Offer]:
    """Every bookable time of one local day at a centre, each with the second dose that goes with it."""
    tz = session.scalar(select(Centre.timezone).where(Centre.id == centre_id))
    start = clock.start_of_day(day, tz).astimezone(UTC)
    end = clock.start_of_day(day + timedelta(days=1), tz).astimezone(UTC)
    after = max(start - timedelta(microseconds=1), now)  # find_offers takes times after `after`: midnight counts
    return find_offers(session, centre_ids=[centre_id], channel=channel, now=now, vaccine_ids=list(vaccine_ids),
                       after=after, before=end, limit=limit, scan=limit * 2)


def vaccines_at(session: Session, centre_id: int, now: datetime) -> list[int]:
    """Ids of the vaccines a centre has future first-dose slots for."""
    return list(session.scalars(select(Slot.vaccine_id).where(Slot.centre_id == centre_id, Slot.dose == "first",
                                                              Slot.starts_at > now).distinct()))
