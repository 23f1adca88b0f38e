"""The second dose's interval at its very edges: the first and the last minute of its first and last local day."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

import pytest

from shared_db.errors import InvalidInput
from shared_db.ledger.pairing import find_offers, second_dose_window, validate_pair
from tests import builders as b

FIRST_DAY = date(2021, 4, 6)
BNT = SimpleNamespace(name="BNT", doses=2, interval_min_days=21, interval_max_days=42)
TZ = "Europe/Berlin"


def at(day: date, hh: int, mm: int) -> datetime:
    return datetime.combine(day, time(hh, mm), b.BERLIN)


def slot(dose: str, starts_at: datetime, centre_id: int = 1, vaccine_id: int = 1):
    return SimpleNamespace(dose=dose, starts_at=starts_at, centre_id=centre_id, vaccine_id=vaccine_id)


EDGES = [
    (at(FIRST_DAY + timedelta(days=20), 23, 59), False),  # the last minute before the interval
    (at(FIRST_DAY + timedelta(days=21), 0, 0), True),  # its first minute
    (at(FIRST_DAY + timedelta(days=42), 23, 59), True),  # its last minute
    (at(FIRST_DAY + timedelta(days=43), 0, 0), False),  # the first minute after it
]


@pytest.mark.parametrize("second_at, ok", EDGES)
def test_the_pair_rule_at_the_edges_of_the_interval(second_at, ok):
    first = slot("first", at(FIRST_DAY, 19, 30))
    if ok:
        validate_pair(first, BNT, TZ, slot("second", second_at), 2)
    else:
        with pytest.raises(InvalidInput):
            validate_pair(first, BNT, TZ, slot("second", second_at), 2)


def test_the_window_is_whole_local_days():
    lo, hi = second_dose_window(at(FIRST_DAY, 23, 59), BNT, TZ)
    assert (lo, hi) == (at(FIRST_DAY + timedelta(days=21), 0, 0), at(FIRST_DAY + timedelta(days=43), 0, 0))


@pytest.mark.parametrize("bad", [
    {"dose": "second"},  # the first slot must be a first dose
])
def test_the_first_must_be_a_first_dose(bad):
    with pytest.raises(InvalidInput):
        validate_pair(slot(bad["dose"], at(FIRST_DAY, 9, 0)), BNT, TZ, slot("second", EDGES[1][0]), 2)


def test_other_centre_other_vaccine_or_no_second_are_refused():
    first = slot("first", at(FIRST_DAY, 9, 0))
    for second in (slot("second", EDGES[1][0], centre_id=2), slot("second", EDGES[1][0], vaccine_id=2),
                   slot("first", EDGES[1][0]), None):
        with pytest.raises(InvalidInput):
            validate_pair(first, BNT, TZ, second, 2)
    one_dose = SimpleNamespace(name="JJ", doses=1, interval_min_days=None, interval_max_days=None)
    validate_pair(first, one_dose, TZ, None, None)
    with pytest.raises(InvalidInput):
        validate_pair(first, one_dose, TZ, slot("second", EDGES[1][0]), 2)


@pytest.mark.parametrize("second_at, ok", EDGES)
def test_offers_pair_a_second_dose_at_the_edges_exactly_as_the_rule(sessions, second_at, ok):
    with sessions.begin() as s:
        v, c = b.vaccine(s, "BNT"), b.centre(s)
        first = b.slot(s, c, v, at(FIRST_DAY, 19, 30))
        second = b.slot(s, c, v, second_at, "second")
        offers = find_offers(s, centre_ids=[c.id], channel="phone", now=b.NOW)
        assert [o.ids for o in offers] == ([(first.id, second.id)] if ok else [])
