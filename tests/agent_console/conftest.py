"""Fixtures for the console tests: users, signed-in clients, a small world of slots near today."""
from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from shared_db.models import CampaignWindow, PriorityGroup, User
from shared_db.session import transaction
from shared_db.ledger.slots import new_slot
from tests import builders as b
from tests.console.twilio_contract import RecordingTwilio

BERLIN = ZoneInfo("Europe/Berlin")
PASSWORDS = {"agent": "agent-secret-2021", "agent2": "agent2-secret-2021", "super": "super-secret-2021"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def at(days: int, hour: int = 10) -> datetime:
    """A Berlin wall-clock time `days` from today."""
    return datetime.combine(datetime.now(BERLIN).date() + timedelta(days=days), time(hour), BERLIN)


@pytest.fixture
def twilio():
    return RecordingTwilio()


@pytest.fixture
def console(app, pg_sessions, twilio):
    """The app with a recording Twilio client, an agent (with a phone), a second agent and a supervisor."""
    app.config["TWILIO_HTTP_CLIENT"] = twilio
    with transaction(pg_sessions) as s:
        people = (("agent", "agent", "Anna Agent", "+4952112345601"), ("agent2", "agent", "Bernd Agent", None),
                  ("super", "supervisor", "Sabine Super", None))
        users = [User(username=name, role=role, display_name=shown, phone=phone, password_hash=password_hash(name))
                 for name, role, shown, phone in people]
        s.add_all(users)
        s.flush()
        ids = {u.username: u.id for u in users}
    app.config["TEST_USER_IDS"] = ids
    return app


@lru_cache(maxsize=None)
def password_hash(username: str) -> str:
    """The scrypt hash of a test user's password, made once per test run (hashing is slow on purpose)."""
    return generate_password_hash(PASSWORDS[username], method="scrypt")


def csrf_of(client, path: str = "/console/login") -> str:
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client, username: str, password: str | None = None):
    token = csrf_of(client)
    return client.post("/console/login", data={"csrf_token": token, "username": username,
                                               "password": password or PASSWORDS[username]})


@pytest.fixture
def agent(console):
    client = console.test_client()
    assert sign_in(client, "agent").status_code == 302
    client.token = csrf_of(client, "/console/")
    return client


@pytest.fixture
def supervisor(console):
    client = console.test_client()
    assert sign_in(client, "super").status_code == 302
    client.token = csrf_of(client, "/console/")
    return client


def post(client, path: str, **data):
    """A form post with the client's CSRF token."""
    return client.post(path, data={"csrf_token": client.token, **data})


@dataclass
class World:
    centre_id: int
    other_centre_id: int
    vaccine_id: int
    firsts: list[int]  # BNT first doses in 2..7 days at 10:00
    seconds: list[int]  # their second doses 21 days later


@pytest.fixture
def world(console, pg_sessions) -> World:
    """Two centres, BNT slots for the next week (each with its second dose), group 1 open to all channels."""
    with transaction(pg_sessions) as s:
        vaccine = b.vaccine(s, "BNT")
        centre = b.centre(s, "Impfzentrum Bielefeld")
        other = b.centre(s, "Impfzentrum Gütersloh", district="Gütersloh", postcodes=("33330",))
        firsts, seconds = [], []
        for day in range(2, 8):
            first = new_slot(centre, vaccine, at(day), "first", 2, 2)
            second = new_slot(centre, vaccine, at(day + 21), "second", 2, 2)
            s.add_all([first, second, new_slot(other, vaccine, at(day, 11), "first", 2, 2),
                       new_slot(other, vaccine, at(day + 21, 11), "second", 2, 2)])
            s.flush()
            firsts.append(first.id)
            seconds.append(second.id)
        group = s.scalar(select(PriorityGroup).where(PriorityGroup.number == 1))
        s.add(CampaignWindow(group_id=group.id, opens_on=date.today() - timedelta(days=30),
                             channels="phone,online,agent"))
        return World(centre.id, other.id, vaccine.id, firsts, seconds)


def old_person(name: str = "Erna Schmidt", phone: str | None = "+4952112345678", years: int = 85):
    """Details of someone in priority group 1 (80+)."""
    today = date.today()
    return b.details(name=name, dob=date(today.year - years, 3, 3), phone=phone)


def user_id(app, name: str) -> int:
    return app.config["TEST_USER_IDS"][name]




@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep a screenshot of the browser page when a browser test fails (test-artifacts/)."""
    outcome = yield
    report = outcome.get_result()
    page = getattr(item, "browser_page", None)
    if report.when == "call" and report.failed and page is not None:
        from pathlib import Path

        folder = Path(__file__).resolve().parents[2] / "test-artifacts"
        folder.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)[-120:]
        try:
            page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
        except Exception:  # noqa: BLE001 - a broken page must not hide the real failure
            pass
