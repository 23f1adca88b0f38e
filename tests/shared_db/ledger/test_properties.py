"""Property: any sequence of hold, confirm, cancel, rebook and expiry keeps every counter
equal to the bookings that hold it, and no pool over its capacity (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared_db import ledger as booking
from shared_db.errors import LedgerError
from shared_db.ledger.checks import ledger_problems
from tests import builders as b
from tests.real_services import empty_all_tables

DAY = b.NOW.date() + timedelta(days=3)
CHANNELS = st.sampled_from(["phone", "online", "agent"])
OPERATIONS = st.one_of(
    st.tuples(st.just("hold"), st.integers(0, 2), CHANNELS),
    st.tuples(st.just("confirm"), st.integers(0, 9)),
    st.tuples(st.just("cancel"), st.integers(0, 9), st.booleans()),
    st.tuples(st.just("rebook"), st.integers(0, 9), st.integers(0, 2)),
    st.tuples(st.just("wait"), st.integers(30, 400)),
    st.tuples(st.just("sweep")),
)


def make_world(sessions):
    with sessions.begin() as s:
        v, c = b.vaccine(s), b.centre(s)
        pairs = [b.pair(s, c, v, DAY + timedelta(days=i), phone=1, online=2) for i in range(3)]
        return [(f.id, sec.id) for f, sec in pairs]


def apply(s, op, pairs, bookings, clock, person_no):
    kind = op[0]
    if kind == "hold":
        first, second = pairs[op[1]]
        held = booking.hold(s, first_slot_id=first, second_slot_id=second, channel=op[2], actor="p",
                            now=clock, hold_seconds=180)
        bookings.append(held.id)
    elif kind == "confirm" and bookings:
        booking.confirm(s, bookings[op[1] % len(bookings)], details=b.details(name=f"Person {person_no}", phone=None),
                        actor="p", now=clock)
    elif kind == "cancel" and bookings:
        booking.cancel(s, bookings[op[1] % len(bookings)], actor="p", reason="p", second_dose_only=op[2], now=clock)
    elif kind == "rebook" and bookings:
        first, second = pairs[op[2]]
        booking.rebook(s, bookings[op[1] % len(bookings)], first_slot_id=first, second_slot_id=second,
                       actor="p", channel="agent", now=clock)
    elif kind == "sweep":
        booking.release_expired_holds(s, clock)


def run_sequence(sessions, engine, operations):
    empty_all_tables(engine)
    pairs, bookings, clock = make_world(sessions), [], b.NOW
    for number, op in enumerate(operations):
        if op[0] == "wait":
            clock += timedelta(seconds=op[1])
            continue
        try:
            with sessions.begin() as s:
                apply(s, op, pairs, bookings, clock, number)
        except LedgerError:
            pass  # a refusal rolls the whole step back
        with sessions.begin() as s:
            assert ledger_problems(s) == [], f"after {op}"


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(operations=st.lists(OPERATIONS, min_size=1, max_size=25))
def test_counters_always_match_the_bookings(sessions, engine, operations):
    run_sequence(sessions, engine, operations)
