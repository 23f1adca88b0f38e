"""Read side of check-in: a centre's appointments of one day, found by booking code, name or date of birth."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from shared_db import clock
from shared_db.ledger.checkin import day_bounds, due_dose
from shared_db.models import Booking, Centre, Person, Slot
from shared_db.people import name_key

MAX_ROWS = 200
_DATE = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{2,4}$|^\d{4}-\d{2}-\d{2}$")


@dataclass
class Appointment:
    """One person expected at the centre today, and what check-in can do for them."""

    booking: Booking
    dose: str  # the dose of this day: first or second
    starts_at: datetime
    state: str  # due, given, no_show, cancelled

    @property
    def can_give(self) -> bool:
        return self.state == "due"


def _state(booking: Booking, dose: str) -> str:
    if getattr(booking, f"{dose}_given_at") is not None:
        return "given"
    if booking.status in ("cancelled", "no_show"):
        return booking.status  # a turned-away person's booking is cancelled with the reason staff gave
    return "due" if due_dose(booking) == dose else booking.status


def parse_birth_date(text: str) -> date | None:
    """A birth date typed as 06.04.1936, 6.4.36 or 1936-04-06; None when the text is no date."""
    text = text.strip()
    if not _DATE.match(text):
        return None
    if "-" in text:
        return date.fromisoformat(text)
    day, month, year = (int(p) for p in text.split("."))
    if year < 100:
        year += 1900  # people being vaccinated in 2021 were born in the 1900s
    try:
        return date(year, month, day)
    except ValueError:
        return None


def appointments(session: Session, centre: Centre, day: date, query: str = "") -> list[Appointment]:
    """The day's appointments at the centre (either dose), narrowed by code, birth date or name words."""
    start, end = day_bounds(day, centre.timezone)
    first, second = aliased(Slot), aliased(Slot)
    on_day = or_(and_(first.centre_id == centre.id, first.starts_at >= start, first.starts_at < end),
                 and_(second.centre_id == centre.id, second.starts_at >= start, second.starts_at < end))
    stmt = (select(Booking).join(first, first.id == Booking.first_slot_id)
            .outerjoin(second, second.id == Booking.second_slot_id)
            .outerjoin(Person, Person.id == Booking.person_id)
            .where(on_day, Booking.status.in_(("confirmed", "completed", "no_show", "cancelled")),
                   Booking.confirmed_at.isnot(None))
            .options(selectinload(Booking.person), selectinload(Booking.first_slot),
                     selectinload(Booking.second_slot))
            .order_by(first.starts_at, Booking.id).limit(MAX_ROWS))
    stmt = _narrow(stmt, query)
    rows = []
    for booking in session.scalars(stmt):
        dose = "first" if start <= booking.first_slot.starts_at < end else "second"
        slot = booking.first_slot if dose == "first" else booking.second_slot
        rows.append(Appointment(booking, dose, slot.starts_at, _state(booking, dose)))
    return sorted(rows, key=lambda a: (a.starts_at, a.booking.id))


def _narrow(stmt, query: str):
    query = (query or "").strip()
    if not query:
        return stmt
    digits = re.sub(r"[\s-]", "", query)
    if digits.isdigit() and len(digits) == 9:
        return stmt.where(Booking.code == digits)
    birth = parse_birth_date(query)
    if birth is not None:
        return stmt.where(Person.date_of_birth == birth)
    words = name_key(query).split()
    return stmt.where(*[Person.name_key.contains(word, autoescape=True) for word in words])


def centre_today(centre: Centre, now: datetime) -> date:
    """The centre's own calendar day."""
    return clock.today(now, centre.timezone)
