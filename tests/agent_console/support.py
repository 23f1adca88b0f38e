"""Helpers for the console tests: test users' passwords, signing in, CSRF-protected posts, people and dates
(the fixtures are in tests/agent_console/conftest.py)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from werkzeug.security import generate_password_hash

from tests import builders as b

BERLIN = ZoneInfo("Europe/Berlin")
PASSWORDS = {"agent": "agent-secret-2021", "agent2": "agent2-secret-2021", "super": "super-secret-2021"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TIMEOUT_MS = 10_000  # what the browser tests wait for a page at most


def at(days: int, hour: int = 10) -> datetime:
    """A Berlin wall-clock time `days` from today."""
    return datetime.combine(datetime.now(BERLIN).date() + timedelta(days=days), time(hour), BERLIN)


@cache
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


def post(client, path: str, **data):
    """A form post with the client's CSRF token."""
    return client.post(path, data={"csrf_token": client.token, **data})


@dataclass
class ConsoleWorld:
    centre_id: int
    other_centre_id: int
    vaccine_id: int
    firsts: list[int]  # BNT first doses in 2..7 days at 10:00
    seconds: list[int]  # their second doses 21 days later


def old_person(name: str = "Erna Schmidt", phone: str | None = "+4952112345678", years: int = 85):
    """Details of someone in priority group 1 (80+)."""
    today = date.today()
    return b.details(name=name, dob=date(today.year - years, 3, 3), phone=phone)


def user_id(app, name: str) -> int:
    return app.config["TEST_USER_IDS"][name]
