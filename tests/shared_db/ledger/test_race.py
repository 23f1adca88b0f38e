"""Races on real PostgreSQL connections: the counters hold whatever runs beside them."""
from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from shared_db import ledger as booking
from shared_db.errors import CallerLimitReached, LedgerError, PersonAlreadyBooked
from shared_db.ledger.checks import ledger_problems
from shared_db.models import Booking, Slot
from tests import builders as b
from tests.shared_db.ledger.support import RACE_THREADS as THREADS

pytestmark = pytest.mark.postgres
DAY = b.NOW.date() + timedelta(days=10)


def run_all(attempts, func):
    """Start every attempt at once from a pool of threads; returns their outcomes."""
    start = threading.Barrier(THREADS)

    def go(arg):
        if arg < THREADS:
            start.wait()
        try:
            return func(arg)
        except LedgerError as exc:
            return exc.code

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(go, range(attempts)))


def small_pairs(sessions, count=4, phone=2, online=3):
    with sessions.begin() as s:
        v, c = b.vaccine(s), b.centre(s)
        pairs = [b.pair(s, c, v, DAY + timedelta(days=i), phone=phone, online=online) for i in range(count)]
        return [(f.id, sec.id) for f, sec in pairs]


def test_240_concurrent_bookings_never_overbook_single_and_paired(race_sessions, pg_sessions):
    pairs = small_pairs(pg_sessions)
    with pg_sessions.begin() as s:
        jj, c = b.vaccine(s, "JJ"), b.centre(s, name="Einzeldosis")
        single = b.slot(s, c, jj, b.local(DAY), "first", phone=1, online=2).id
    rng = random.Random(7)
    plans = [(rng.choice(["phone", "online", "agent"]), rng.choice(pairs + [(single, None)]),
              rng.choice(["confirm", "confirm", "hold", "cancel"])) for _ in range(240)]

    def attempt(i):
        channel, (first, second), action = plans[i]
        with race_sessions.begin() as s:
            held = booking.hold(s, first_slot_id=first, second_slot_id=second, channel=channel,
                                actor=f"race:{i}", now=b.NOW)
            if action == "hold":
                return "held"
            done = booking.confirm(s, held.id, details=b.details(name=f"Person {i}", phone=None),
                                   actor=f"race:{i}", now=b.NOW)
            if action == "cancel":
                booking.cancel(s, done.id, actor=f"race:{i}", reason="race")
                return "cancelled"
            return "confirmed"

    outcomes = Counter(run_all(240, attempt))
    assert set(outcomes) <= {"held", "confirmed", "cancelled", "slot_gone"}
    assert outcomes["slot_gone"] > 0, "the pools were meant to run out"
    with pg_sessions.begin() as s:
        assert ledger_problems(s) == []
        live = s.scalar(select(func.count()).select_from(Booking).where(Booking.status.in_(("held", "confirmed"))))
        assert live == outcomes["held"] + outcomes["confirmed"]
        for slot in s.scalars(select(Slot)):
            assert slot.phone_taken <= slot.phone_capacity and slot.online_taken <= slot.online_capacity
            assert slot.online_taken <= slot.online_capacity
        # 4 pairs * 5 places + 3 single places: every place was sold, none twice
        taken = s.scalar(select(func.sum(Slot.phone_taken + Slot.online_taken)).where(Slot.dose == "first"))
        assert taken == outcomes["held"] + outcomes["confirmed"]


def test_holds_expiring_while_others_book_keep_the_counters_true(race_sessions, pg_sessions):
    pairs = small_pairs(pg_sessions, count=2, phone=3, online=3)
    later = b.NOW + timedelta(seconds=200)

    def attempt(i):
        first, second = pairs[i % 2]
        with race_sessions.begin() as s:
            if i % 5 == 0:
                booking.release_expired_holds(s, later)
                return "swept"
            now = b.NOW if i < 100 else later
            booking.hold(s, first_slot_id=first, second_slot_id=second, channel="agent", actor="r",
                         now=now, hold_seconds=180)
            return "held"

    outcomes = Counter(run_all(200, attempt))
    assert outcomes["held"] > 0
    with pg_sessions.begin() as s:
        assert ledger_problems(s) == []


def test_one_person_racing_on_many_slots_gets_one_booking(race_sessions, pg_sessions):
    pairs = small_pairs(pg_sessions, count=4, phone=10, online=10)

    def attempt(i):
        first, second = pairs[i % 4]
        with race_sessions.begin() as s:
            booking.book(s, first_slot_id=first, second_slot_id=second, channel="online", actor="r",
                         details=b.details(name="Doppelt Gebucht", dob=date(1940, 1, 1)), now=b.NOW,
                         caller_number=None)
            return "confirmed"

    outcomes = Counter(run_all(64, attempt))
    assert outcomes == Counter({"confirmed": 1, PersonAlreadyBooked.code: 63})
    with pg_sessions.begin() as s:
        assert ledger_problems(s) == []


def test_one_number_racing_books_at_most_three_people(race_sessions, pg_sessions):
    pairs = small_pairs(pg_sessions, count=4, phone=20, online=20)

    def attempt(i):
        first, second = pairs[i % 4]
        with race_sessions.begin() as s:
            booking.book(s, first_slot_id=first, second_slot_id=second, channel="agent", actor="r",
                         details=b.details(name=f"Verwandte {i}"), now=b.NOW, caller_number="+4952112345")
            return "confirmed"

    outcomes = Counter(run_all(64, attempt))
    assert outcomes == Counter({"confirmed": 3, CallerLimitReached.code: 61})
