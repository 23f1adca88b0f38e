"""The booking calendar that book and rebook share: centre, vaccine, four weeks of days, the day's times.

Nothing is preselected: the agent picks a day (the first day with free places is
opened for convenience, its times unselected) and then a time. When rebooking,
the booking's own time is shown but cannot be chosen.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent_console.helpers import now, parse_iso_date, today
from shared_db.ledger.calendar import FreeDay, day_offers, free_days, vaccines_at
from shared_db.ledger.pairing import Offer
from shared_db.models import Centre, CentrePostcode, Vaccine

WEEKS = 4


@dataclass(frozen=True)
class CalendarDay:
    day: date
    free: FreeDay | None
    past: bool


@dataclass
class Picker:
    """What the calendar partial shows."""

    centres: list[Centre]
    centre_id: int | None
    vaccines: list[Vaccine] = field(default_factory=list)
    vaccine_id: int | None = None
    first_day: date | None = None
    weeks: list[list[CalendarDay]] = field(default_factory=list)
    day: date | None = None
    offers: list[Offer] = field(default_factory=list)
    current_first_id: int | None = None
    current_pair: tuple[int, int | None] | None = None

    @property
    def earlier(self) -> date | None:
        """Where the 'earlier weeks' link goes (None when the shown weeks start this week)."""
        start = monday_of(today())
        return None if self.first_day is None or self.first_day <= start else self.first_day - timedelta(weeks=WEEKS)

    @property
    def later(self) -> date | None:
        return self.first_day + timedelta(weeks=WEEKS) if self.first_day else None


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def active_centres(s: Session) -> list[Centre]:
    return list(s.scalars(select(Centre).where(Centre.active.is_(True)).order_by(Centre.name)))


def centre_for_postcode(s: Session, postcode: str) -> int | None:
    """The centre that serves a postcode (the first by name when several do), or None."""
    return s.scalar(select(CentrePostcode.centre_id).join(Centre)
                    .where(CentrePostcode.postcode == postcode.strip(), Centre.active.is_(True))
                    .order_by(Centre.name).limit(1))


def vaccine_names(s: Session, codes) -> list[str]:
    """Vaccine names for codes such as BNT, in the order given (the code where no name is known)."""
    names = dict(s.execute(select(Vaccine.code, Vaccine.name)).all())
    return [names.get(code, code) for code in codes]


def build(s: Session, *, centre_id: int | None, allowed_codes=None, fixed_vaccine_id: int | None = None,
          current: tuple[int, int | None] | None = None) -> Picker:
    """The picker for the request's `vaccine_id`, `from` and `day` arguments."""
    picker = Picker(active_centres(s), centre_id, current_first_id=current[0] if current else None,
                    current_pair=current)
    if centre_id is None:
        return picker
    offered = vaccines_at(s, centre_id, now())
    if fixed_vaccine_id is not None:
        offered = [v for v in offered if v == fixed_vaccine_id] or [fixed_vaccine_id]
    picker.vaccines = list(s.scalars(select(Vaccine).where(Vaccine.id.in_(offered)).order_by(Vaccine.name)))
    if allowed_codes is not None:
        picker.vaccines = [v for v in picker.vaccines if v.code in allowed_codes]
    if not picker.vaccines:
        return picker
    chosen = request.args.get("vaccine_id", type=int)
    ids = [v.id for v in picker.vaccines]
    picker.vaccine_id = chosen if chosen in ids else (ids[0] if len(ids) == 1 else None)
    vaccine_ids = [picker.vaccine_id] if picker.vaccine_id else ids
    _fill_calendar(s, picker, centre_id, vaccine_ids)
    return picker


def _fill_calendar(s: Session, picker: Picker, centre_id: int, vaccine_ids: list[int]) -> None:
    start = monday_of(parse_iso_date(request.args.get("from")) or today())
    start = max(start, monday_of(today()))
    picker.first_day = start
    free = free_days(s, centre_id=centre_id, vaccine_ids=vaccine_ids, channel="agent", now=now(),
                     first_day=start, days=7 * WEEKS)
    days = [start + timedelta(days=i) for i in range(7 * WEEKS)]
    cells = [CalendarDay(d, free.get(d), d < today()) for d in days]
    picker.weeks = [cells[i:i + 7] for i in range(0, len(cells), 7)]
    wanted = parse_iso_date(request.args.get("day"))
    picker.day = wanted if wanted and wanted >= today() else next(iter(free), None)
    if picker.day is not None:
        picker.offers = day_offers(s, centre_id=centre_id, vaccine_ids=vaccine_ids, channel="agent", now=now(),
                                   day=picker.day)


def here(**changes) -> str:
    """This page's URL with some query arguments changed (None drops one): the calendar's links."""
    args = {k: v for k, v in request.args.items()}
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value.isoformat() if isinstance(value, date) else value
    return url_for(request.endpoint, **(request.view_args or {}), **args)
