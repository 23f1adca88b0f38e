"""Demo data: four centres in Westfalen-Lippe, two weeks of slots, a campaign, three console users, and
(with `appointments=True`, as `hotline demo` and `hotline seed-demo` load it) yesterday's and today's
appointments at Bielefeld, so check-in, the end of the day and retention can be tried at once."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared_db import clock
from shared_db.access.accounts import add_user
from shared_db.ledger import changes
from shared_db.ledger.codes import damm_digit
from shared_db.ledger.slots import add_slots, new_slot, split_capacity
from shared_db.models import (
    CampaignWindow,
    Centre,
    CentrePostcode,
    Invitation,
    PriorityGroup,
    Slot,
    User,
    Vaccine,
)
from shared_db.people import PersonDetails, name_key
from shared_db.people.reference import ensure_reference_data

DEMO_PASSWORDS = {"agent": "agent-demo-2021", "supervisor": "supervisor-demo-2021", "centre": "centre-demo-2021"}
DEMO_INSTITUTION = "Pflegeheim Sonnenhof, Bielefeld"
# One institution's list with fixed codes (7 digits + Damm check digit) so a newcomer can try an invitation:
# on the phone (birth date, then the code) and in the API (name, birth date, invitation_code).
DEMO_INVITED = (
    # name, date of birth, code body, mobile
    ("Erika Mustermann", date(1964, 8, 12), "2021041", "+4915112340001"),
    ("Ahmet Yılmaz", date(1971, 3, 9), "2021042", None),
    ("Gerda Gärtner", date(1958, 11, 30), "2021043", None),
)
# (name, birth date, day offset from today, local time, given yesterday): Bielefeld, BioNTech
DEMO_APPOINTMENTS = (
    ("Margarete Beispiel", date(1938, 5, 17), -1, time(9, 0), True),
    ("Heinz Demo", date(1940, 11, 2), -1, time(9, 30), False),  # did not come: a no-show after the end of day
    ("Erna Schmidt", date(1936, 3, 3), 0, time(9, 0), False),
    ("Karl Meier", date(1939, 7, 21), 0, time(9, 30), False),
    ("Ayşe Yılmaz", date(1941, 1, 9), 0, time(10, 0), False),
)
DEMO_NAMES = {"agent": "Anna Demo (Agentin)", "supervisor": "Sabine Demo (Supervisorin)"}

CENTRES = (
    # name, address, city, district, neighbours, vaccines, postcodes
    ("Impfzentrum Kreis Warendorf", "Westkirchener Straße 5, 59320 Ennigerloh", "Ennigerloh", "Warendorf",
     ["Münster", "Gütersloh"], ["AZ"], ["59320", "48231", "59227", "59229", "59269", "59302"]),
    ("Impfzentrum Münster", "Albersloher Weg 32, 48155 Münster", "Münster", "Münster",
     ["Warendorf"], ["BNT"], ["48143", "48145", "48147", "48149", "48151", "48153", "48155", "48157",
                               "48159", "48161", "48163", "48165", "48167"]),
    ("Impfzentrum Kreis Gütersloh", "Carl-Miele-Straße 214, 33334 Gütersloh", "Gütersloh", "Gütersloh",
     ["Bielefeld", "Warendorf"], ["AZ"], ["33330", "33332", "33333", "33334", "33335", "33378", "33415"]),
    ("Impfzentrum Bielefeld", "Am Lokschuppen 1, 33602 Bielefeld", "Bielefeld", "Bielefeld",
     ["Gütersloh"], ["BNT", "JJ"], ["33602", "33604", "33605", "33607", "33609", "33611", "33613", "33615",
                                     "33617", "33619", "33647", "33649", "33659", "33689", "33699", "33719"]),
)


def seed_demo(session: Session, today: date, days: int = 14, slot_capacity: int = 10,
              times_per_day: int = 20, appointments: bool = False) -> dict[str, int]:
    """Fill an empty database with demo data; returns counts. Refuses to run twice."""
    if session.scalar(select(Centre.id).limit(1)) is not None:
        raise RuntimeError("the database already has centres; demo data goes only into an empty one")
    ensure_reference_data(session)
    vaccines = {v.code: v for v in session.scalars(select(Vaccine))}
    centres = [_centre(session, *row[:5], row[6]) for row in CENTRES]
    slots = []
    for centre, row in zip(centres, CENTRES, strict=True):
        for code in row[5]:
            slots += _slots_for(centre, vaccines[code], today, days, slot_capacity, times_per_day)
    add_slots(session, slots)
    _campaign(session, today)
    bielefeld = centres[-1]
    for role, password in DEMO_PASSWORDS.items():
        if session.scalar(select(User.id).where(User.username == role)) is None:
            # the agent's phone is where click-to-call rings (in the demo: Twilio's stand-in, nothing rings)
            add_user(session, role, password, role, display_name=DEMO_NAMES.get(role, f"Demo-{role.capitalize()}"),
                     centre_id=bielefeld.id if role == "centre" else None,
                     phone="+4952199900001" if role == "agent" else None)
    booked = _appointments(session, bielefeld, vaccines["BNT"], today) if appointments else 0
    return {"centres": len(centres), "slots": len(slots), "appointments": booked}


def _appointments(session: Session, centre: Centre, vaccine: Vaccine, today: date) -> int:
    """Yesterday's (one vaccinated, one no-show) and today's appointments, booked as an agent would have."""
    yesterday = today - timedelta(days=1)
    firsts = {day: _day(centre, vaccine, day, "first", 1, 1, 6) for day in (yesterday, today)}
    add_slots(session, [s for day_slots in firsts.values() for s in day_slots])
    booked_at = clock.start_of_day(yesterday) - timedelta(hours=12)  # booked before either day began
    for name, born, offset, at, given in DEMO_APPOINTMENTS:
        day = today + timedelta(days=offset)
        first = next(s for s in firsts[day] if clock.local(s.starts_at).time() == at)
        last_second_day = clock.start_of_day(day + timedelta(days=vaccine.interval_max_days))
        second = session.scalar(select(Slot).where(
            Slot.centre_id == centre.id, Slot.vaccine_id == vaccine.id, Slot.dose == "second",
            Slot.starts_at >= last_second_day).order_by(Slot.starts_at))
        booking = changes.book_now(session, first_slot_id=first.id, second_slot_id=second.id,
                                   details=PersonDetails(name=name, date_of_birth=born, postcode="33602"),
                                   channel="agent", actor="system:demo", now=booked_at)
        if given:
            changes.give_dose(session, booking.id, dose="first", batch="EX0739", actor="system:demo",
                              now=first.starts_at)
    changes.close_centre_days(session, centre.id, actor="system:demo", now=clock.start_of_day(today))
    return len(DEMO_APPOINTMENTS)


def _centre(session, name, address, city, district, neighbours, postcodes) -> Centre:
    centre = Centre(name=name, address=address, city=city, district=district, neighbour_districts=neighbours,
                    timezone="Europe/Berlin", active=True, phone_release_hours=48, phone_share_percent=20)
    centre.postcodes = [CentrePostcode(postcode=p) for p in postcodes]
    session.add(centre)
    session.flush()
    return centre


def _slots_for(centre, vaccine, today, days, capacity, per_day) -> list[Slot]:
    phone, online = split_capacity(capacity, centre.phone_share_percent)
    first_days = [today + timedelta(days=d) for d in range(1, days + 1)]
    slots = [s for day in first_days for s in _day(centre, vaccine, day, "first", phone, online, per_day)]
    if vaccine.doses == 2:
        lo, hi = vaccine.interval_min_days, vaccine.interval_max_days
        second_days = sorted({d + timedelta(days=k) for d in first_days for k in range(lo, hi + 1)})
        slots += [s for day in second_days for s in _day(centre, vaccine, day, "second", phone, online, per_day)]
    return slots


def _day(centre, vaccine, day, dose, phone, online, per_day) -> list[Slot]:
    start = datetime.combine(day, time(8, 0), clock.zone())
    return [new_slot(centre, vaccine, start + timedelta(minutes=30 * i), dose, phone, online, 15)
            for i in range(per_day)]


def _campaign(session: Session, today: date) -> None:
    """Group 1 may book now, group 2 in a week, group 3 in three weeks; a care home's invitation list with codes."""
    groups = {g.number: g for g in session.scalars(select(PriorityGroup))}
    for number, offset in ((1, 0), (2, 7), (3, 21)):
        session.add(CampaignWindow(group_id=groups[number].id, opens_on=today + timedelta(days=offset),
                                   channels="phone,online,agent"))
    for name, born, body, mobile in DEMO_INVITED:
        session.add(Invitation(facility=DEMO_INSTITUTION, group_id=groups[1].id, name=name, name_key=name_key(name),
                               date_of_birth=born, code=demo_code(body), phone=mobile))
    session.flush()


def demo_code(body: str) -> str:
    """A demo invitation code: the body and its Damm check digit."""
    return body + damm_digit(body)
