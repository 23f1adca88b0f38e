"""Small data builders for tests: a centre with slots, a person's details, a confirmed booking."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from shared_db import ledger
from shared_db.ledger.slots import new_slot
from shared_db.models import Centre, CentrePostcode, Slot, Vaccine
from shared_db.people import PersonDetails
from shared_db.people.reference import ensure_reference_data
from shared_db.types import utcnow

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2021, 4, 1, 8, 0, tzinfo=UTC)


def vaccine(session, code: str = "BNT") -> Vaccine:
    ensure_reference_data(session)
    return session.scalar(select(Vaccine).where(Vaccine.code == code))


def centre(session, name: str = "Impfzentrum Test", district: str = "Bielefeld",
           postcodes=("33602",), neighbours=(), release_hours: int = 48) -> Centre:
    c = Centre(name=name, address="Teststraße 1, 33602 Bielefeld", city=district, district=district,
               neighbour_districts=list(neighbours), timezone="Europe/Berlin", active=True,
               phone_release_hours=release_hours, phone_share_percent=20)
    c.postcodes = [CentrePostcode(postcode=p) for p in postcodes]
    session.add(c)
    session.flush()
    return c


def local(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """A Berlin wall-clock time as an aware datetime."""
    return datetime.combine(day, time(hour, minute), BERLIN)


def slot(session, c: Centre, v: Vaccine, starts_at: datetime, dose: str = "first",
         phone: int = 2, online: int = 8) -> Slot:
    s = new_slot(c, v, starts_at, dose, phone, online)
    session.add(s)
    session.flush()
    return s


def pair(session, c: Centre, v: Vaccine, day: date, phone: int = 2, online: int = 8,
         gap_days: int | None = None) -> tuple[Slot, Slot | None]:
    """A first-dose slot on `day` and (for two-dose vaccines) a second one inside the interval."""
    first = slot(session, c, v, local(day), "first", phone, online)
    if v.doses == 1:
        return first, None
    gap = gap_days if gap_days is not None else v.interval_min_days
    second = slot(session, c, v, local(day + timedelta(days=gap)), "second", phone, online)
    return first, second


def details(name: str = "Erna Schmidt", dob: date = date(1936, 3, 3), phone: str | None = "+4915112345678",
            **extra) -> PersonDetails:
    return PersonDetails(name=name, date_of_birth=dob, postcode="33602", phone=phone, **extra)


def booked(session, *, starts_in: timedelta = timedelta(days=3), phone: str = "+4915112345678",
           name: str = "Erna Schmidt", language: str = "de", reconfirmation: bool = False, vaccine: str = "JJ"):
    """A confirmed booking whose first appointment starts `starts_in` from now."""
    ensure_reference_data(session)
    v = session.scalar(select(Vaccine).where(Vaccine.code == vaccine))  # the parameter hides vaccine()
    c = centre(session)
    c.reconfirmation_enabled = reconfirmation
    start = (utcnow() + starts_in).replace(microsecond=0)
    first = slot(session, c, v, start, "first", phone=2, online=2)
    second = None
    if v.doses == 2:
        second = slot(session, c, v, start + timedelta(days=v.interval_min_days), "second", 2, 2)
    person = details(name=name, phone=phone, language=language)
    return ledger.book(session, first_slot_id=first.id, second_slot_id=second.id if second else None,
                       details=person, channel="agent", actor="agent:1")
