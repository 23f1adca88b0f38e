"""Builders and helpers for the online API tests (the `api_world` fixture is in tests/online_api/conftest.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from hotline import config as hotline_config
from hotline import create_app
from shared_db.access.api_clients import create_client
from shared_db.ledger.codes import damm_digit
from shared_db.ledger.slots import new_slot
from shared_db.models import CampaignWindow, Invitation, PriorityGroup, Slot
from shared_db.people import name_key
from tests import builders as b

BERLIN = ZoneInfo("Europe/Berlin")
# Pflegeheim Sonnenhof's list in the API world: one invited carer with her own code.
INVITED_NAME = "Maria Pflegerin"
INVITE_CODE = "4711000" + damm_digit("4711000")


def today() -> date:
    return datetime.now(BERLIN).date()


def at(days: int, hour: int = 10, minute: int = 0) -> datetime:
    """A Berlin wall-clock time `days` from today."""
    return datetime.combine(today() + timedelta(days=days), time(hour, minute), BERLIN)


def years_ago(years: int, days: int = 30) -> date:
    """A birth date of someone who is `years` old today."""
    t = today()
    try:
        return t.replace(year=t.year - years) - timedelta(days=days)
    except ValueError:  # 29 February
        return t.replace(year=t.year - years, day=28) - timedelta(days=days)


@dataclass
class ApiWorld:
    """What the API tests book against; ids only, so it outlives its session."""

    key: str
    client_id: int
    centre_id: int
    neighbour_id: int
    first_id: int  # BNT first dose in 5 days, phone 2 / online 2
    second_id: int  # its second dose 21 days later, phone 2 / online 2
    soon_first_id: int  # BNT first dose tomorrow: phone places already released
    soon_second_id: int
    jj_id: int  # one-dose slot in 6 days


def first_second(session, centre, vaccine, days: int, phone: int = 2, online: int = 2) -> tuple[Slot, Slot]:
    first = new_slot(centre, vaccine, at(days), "first", phone, online)
    second = new_slot(centre, vaccine, at(days + vaccine.interval_min_days), "second", phone, online)
    session.add_all([first, second])
    session.flush()
    return first, second


def build_api_world(sessions) -> ApiWorld:
    """Two centres, BNT pairs, a J&J slot, group 1 open today, group 2 in a week, one API client."""
    with sessions.begin() as s:
        bnt, jj = b.vaccine(s, "BNT"), b.vaccine(s, "JJ")
        home = b.centre(s, "Impfzentrum Bielefeld", "Bielefeld", postcodes=("33602", "33604"),
                        neighbours=("Gütersloh",))
        neighbour = b.centre(s, "Impfzentrum Kreis Gütersloh", "Gütersloh", postcodes=("33330",))
        first, second = first_second(s, home, bnt, 5)
        soon_first, soon_second = first_second(s, home, bnt, 1)
        jj_slot = new_slot(home, jj, at(6), "first", 1, 1)
        s.add(jj_slot)
        groups = {g.number: g for g in s.scalars(select(PriorityGroup))}
        everywhere = "phone,online,agent"
        s.add(CampaignWindow(group_id=groups[1].id, opens_on=today() - timedelta(days=3), channels=everywhere))
        s.add(CampaignWindow(group_id=groups[2].id, opens_on=today() + timedelta(days=7), channels=everywhere))
        s.add(Invitation(facility="Pflegeheim Sonnenhof", group_id=groups[1].id, code=INVITE_CODE,
                         name=INVITED_NAME, name_key=name_key(INVITED_NAME), date_of_birth=years_ago(40)))
        client, key = create_client(s, "portal")
        s.flush()
        return ApiWorld(key, client.id, home.id, neighbour.id, first.id, second.id, soon_first.id, soon_second.id,
                     jj_slot.id)


def headers(api_world: ApiWorld, **extra) -> dict:
    return {"X-API-Key": api_world.key, **extra}


def person(name: str = "Erna Schmidt", age: int = 84, **extra) -> dict:
    return {"name": name, "date_of_birth": years_ago(age).isoformat(), "postcode": "33602",
            "phone": "+49 151 12345678", "language": "de", **extra}


def assert_problem(resp, status: int, code: str) -> dict:
    """The response is a problem document with this status and code."""
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json(force=True)
    assert body["code"] == code and body["status"] == status
    return body


def hold(client, api_world: ApiWorld, first_id: int | None = None, second_id: int | None = None, **kw):
    payload = {"first_slot_id": first_id or api_world.first_id}
    if second_id is not None:
        payload["second_slot_id"] = second_id
    return client.post("/api/v1/holds", json=payload, headers=headers(api_world, **kw))


def book_online(client, api_world: ApiWorld, first_id: int | None = None, who: dict | None = None) -> dict:
    """Hold and confirm; returns the booking document."""
    held = hold(client, api_world, first_id)
    assert held.status_code == 201, held.get_json()
    done = client.post(f"/api/v1/holds/{held.get_json()['hold_id']}/confirm", json=who or person(),
                       headers=headers(api_world))
    assert done.status_code == 201, done.get_json()
    return done.get_json()


def make_client(pg_url: str, **overrides):
    """An app on the test database with these settings, and its test client."""
    app = create_app(hotline_config.TestConfig(pg_url, **overrides))
    return app, app.test_client()
