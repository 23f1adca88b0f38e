"""Builders and helpers for the IVR tests: a small world of centres and slots, and signed simulated calls.

The fixtures are in conftest.py files: `ivr_world` in tests/conftest.py (tests/services/ uses it too),
`sessions_of` in tests/ivr/conftest.py.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from ivr.simulator import Call, flask_transport
from shared_db.ledger.codes import damm_digit
from shared_db.models import Booking, CampaignWindow, Invitation, PriorityGroup
from shared_db.people import name_key
from shared_db.session import transaction
from tests import builders as b

PUBLIC_URL = "https://hotline.example.org"
TOKEN = "test-auth-token"
LANDLINE_BIELEFELD = "+49521123456"
MOBILE = "+4915112345678"
# Pflegeheim Sonnenhof's list in the IVR world: a 45-year-old carer with her own code.
INVITED = {"name": "Maria Pflegerin", "dob": date(1980, 5, 17), "code": "1234567" + damm_digit("1234567")}
SIMULATOR_ENV = {"TWILIO_AUTH_TOKEN": "sim-token", "HOTLINE_PUBLIC_URL": "https://hotline.example.org"}


def today() -> date:
    from shared_db import clock

    return clock.today()


def build_ivr_world(session, home_phone: int = 2, neighbour_phone: int = 2, days=(3, 4)) -> dict:
    """Bielefeld (home of 33602) and its neighbour Gütersloh, BioNTech pairs, group 1 open, group 2 in a week."""
    vaccine = b.vaccine(session, "BNT")
    home = b.centre(session, "Impfzentrum Bielefeld", "Bielefeld", postcodes=("33602",), neighbours=("Gütersloh",))
    neighbour = b.centre(session, "Impfzentrum Kreis Gütersloh", "Gütersloh", postcodes=("33330",),
                         neighbours=("Bielefeld",))
    pairs = {"home": [], "neighbour": []}
    for offset in days:
        day = today() + timedelta(days=offset)
        if home_phone:
            pairs["home"].append(b.pair(session, home, vaccine, day, phone=home_phone))
        if neighbour_phone:
            pairs["neighbour"].append(b.pair(session, neighbour, vaccine, day, phone=neighbour_phone))
    groups = {g.number: g for g in session.scalars(select(PriorityGroup))}
    session.add(CampaignWindow(group_id=groups[1].id, opens_on=today(), channels="phone,online,agent"))
    session.add(CampaignWindow(group_id=groups[2].id, opens_on=today() + timedelta(days=7),
                               channels="phone,online,agent"))
    session.add(Invitation(facility="Pflegeheim Sonnenhof", group_id=groups[1].id, code=INVITED["code"],
                           name=INVITED["name"], name_key=name_key(INVITED["name"]), date_of_birth=INVITED["dob"]))
    session.flush()
    return {"home": home.id, "neighbour": neighbour.id, "vaccine": vaccine.id,
            "pairs": {k: [(f.id, s.id if s else None) for f, s in v] for k, v in pairs.items()}}


def new_call(client, from_number: str = MOBILE, **kwargs) -> Call:
    """A simulated call into the app under test, signed with the test token."""
    return Call(flask_transport(client), PUBLIC_URL, TOKEN, from_number=from_number, **kwargs)


def to_offer(call: Call, dob: str = "03031938", postcode: str = "33602") -> None:
    """Language, main menu, date of birth, postcode: up to the first offer."""
    call.dial()
    call.press("1")  # Deutsch
    call.press("1")  # book
    call.press(dob)
    call.press("1")  # the date is right
    call.press(postcode)


def take_offer(call: Call, name: str = "Erna Schmidt") -> None:
    """From an offer to the booked appointment."""
    call.press("1")  # take it
    call.say(name)
    call.press("1")  # the name is right


def bookings(sessions_of) -> list[Booking]:
    with transaction(sessions_of) as session:
        rows = list(session.scalars(select(Booking).order_by(Booking.id)))
        for row in rows:
            _ = row.first_slot, row.second_slot, row.person
        return rows
