"""Benchmark data: centres with hot days of paired slots, people, API clients."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared_db.ledger.slots import new_slot
from shared_db.models import Centre, CentrePostcode, Vaccine
from shared_db.people import PersonDetails
from shared_db.people.reference import ensure_reference_data

BERLIN = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True)
class HotDay:
    """Ids of a day's paired slots at one centre: first-dose slot i pairs with second-dose slot i."""

    centre_id: int
    firsts: list[int]
    seconds: list[int]

    @property
    def pairs(self) -> list[tuple[int, int]]:
        return list(zip(self.firsts, self.seconds, strict=True))


def centre(session: Session, name: str, district: str, postcodes=("33602",), neighbours=()) -> Centre:
    """An active Berlin-time centre serving some postcodes."""
    c = Centre(name=name, address=f"Benchstraße 1, {postcodes[0]} {district}", city=district, district=district,
               neighbour_districts=list(neighbours), timezone="Europe/Berlin", active=True,
               phone_release_hours=48, phone_share_percent=20)
    c.postcodes = [CentrePostcode(postcode=p) for p in postcodes]
    session.add(c)
    session.flush()
    return c


def vaccine(session: Session, code: str = "BNT") -> Vaccine:
    ensure_reference_data(session)
    return session.scalar(select(Vaccine).where(Vaccine.code == code))


def hot_day(session: Session, c: Centre, v: Vaccine, day: date, slots: int, phone: int, online: int,
            minutes: int = 15) -> HotDay:
    """`slots` first-dose slots on `day` and as many second-dose slots at the interval's start."""
    firsts, seconds = [], []
    for i in range(slots):
        start = datetime.combine(day, time(8, 0), BERLIN) + timedelta(minutes=minutes * i)
        first = new_slot(c, v, start, "first", phone, online, minutes)
        second = new_slot(c, v, start + timedelta(days=v.interval_min_days), "second", phone, online, minutes)
        session.add_all([first, second])
        firsts.append(first)
        seconds.append(second)
    session.flush()
    return HotDay(c.id, [s.id for s in firsts], [s.id for s in seconds])


def person(worker: int, i: int, phone: str | None = None) -> PersonDetails:
    """A distinct, plausible person (over 80) for booking number i of a worker."""
    dob = date(1930, 1, 1) + timedelta(days=(worker * 7919 + i) % 3650)
    return PersonDetails(name=f"Bench Person {worker} {i}", date_of_birth=dob, postcode="33602", phone=phone)
