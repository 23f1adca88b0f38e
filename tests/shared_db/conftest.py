"""Fixtures for the tests of shared_db/ (the ledger's own are in ledger/conftest.py); `sessions` runs each
test on SQLite and on PostgreSQL (tests/conftest.py)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from shared_db.models import Booking
from shared_db.operations.demo import CENTRES
from tests import builders

LONGEST = max(CENTRES, key=lambda c: len(c[0]) + len(c[1]))


@pytest.fixture
def long_booking(sessions):
    """A two-dose booking at the demo centre with the longest name and address."""
    with sessions.begin() as session:
        v = builders.vaccine(session, "AZ")
        c = builders.centre(session, name=LONGEST[0])
        c.address = LONGEST[1]
        first, second = builders.pair(session, c, v, date.today() + timedelta(days=30))
        booking = Booking(code="123456789", first_slot=first, second_slot=second, first_pool="phone",
                          second_pool="phone", status="confirmed", channel="phone", created_by="test")
        yield booking
