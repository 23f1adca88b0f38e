"""The campaign clock: which calendar day it is, in Europe/Berlin or the centre's own time zone.

Every "today", "tomorrow" and "this week" of every channel comes from here, so
the IVR, the API, the console and the jobs never disagree between midnight and
the small hours, when UTC is still on the day before.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from shared_db.types import utcnow

CAMPAIGN_TIMEZONE = "Europe/Berlin"


@lru_cache(maxsize=32)
def zone(name: str | None = None) -> ZoneInfo:
    """The time zone of a centre (its `timezone` column), or the campaign's when none is set."""
    return ZoneInfo(name or CAMPAIGN_TIMEZONE)


def local(moment: datetime, tz: str | None = None) -> datetime:
    """An aware moment as wall-clock time of the campaign (or of the centre)."""
    return moment.astimezone(zone(tz))


def local_date(moment: datetime, tz: str | None = None) -> date:
    """The calendar day a moment falls on for the campaign (or the centre)."""
    return local(moment, tz).date()


def today(now: datetime | None = None, tz: str | None = None) -> date:
    """The campaign's calendar day now (or at `now`)."""
    return local_date(now or utcnow(), tz)


def tomorrow(now: datetime | None = None, tz: str | None = None) -> date:
    """The day after the campaign's today."""
    return today(now, tz) + timedelta(days=1)


def start_of_day(day: date, tz: str | None = None) -> datetime:
    """The first moment of a calendar day, as an aware datetime in that zone."""
    return datetime.combine(day, datetime.min.time(), zone(tz))
