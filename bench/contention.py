"""Bench 2, booking contention: paired-dose bookings on hot slots through the ledger vs a raw conditional UPDATE.

Both sides run with the same number of processes, the same driver (psycopg 3)
and the same database. Capacity is set below the number of attempts, so the
"sold out" path runs too; afterwards the ledger check must find no problem.
"""
from __future__ import annotations

import math
import time
from datetime import date, timedelta

import psycopg
from sqlalchemy import select

from bench import seed
from bench.core import Result, Settings, benchmark, percentiles, ratio
from bench.pgdb import fresh_database, libpq_url
from bench.workers import run_parallel
from shared_db.booking import book, confirm, hold
from shared_db.checks import ledger_problems
from shared_db.errors import SlotUnavailable
from shared_db.models import Booking, Slot
from shared_db.session import make_engine, make_sessionmaker, transaction
from shared_db.types import utcnow

SOLD_FRACTION = 0.9  # capacity as a share of attempts: the last tenth meets a full day


class LedgerBooker:
    """One process booking paired doses on the hot day through the ledger.

    path "channel" (default) is what the online API and the IVR do: hold in one
    transaction, confirm in the next; path "book" is shared_db.booking.book (hold
    and confirm in one transaction, as agents and imports use it), which keeps the
    slot rows locked while the person is registered.
    """

    def __init__(self, path: str = "channel") -> None:
        self.path = path

    def prepare(self, index, url, pairs, attempts):
        engine = make_engine(url, pool_size=1, max_overflow=0)
        return make_sessionmaker(engine)

    def __call__(self, index, sessions, url, pairs, attempts):
        booked = rejected = 0
        latencies = []
        for i in range(attempts):
            first, second = pairs[(index + i) % len(pairs)]
            started = time.perf_counter()
            try:
                self.book_one(sessions, first, second, seed.person(index, i))
                booked += 1
            except SlotUnavailable:
                rejected += 1
            latencies.append(time.perf_counter() - started)
        return {"booked": booked, "rejected": rejected, "latencies": latencies}

    def book_one(self, sessions, first: int, second: int, details) -> None:
        actor = "bench:contention"
        if self.path == "book":
            with transaction(sessions) as session:
                book(session, first_slot_id=first, second_slot_id=second, details=details, channel="online",
                     actor=actor)
            return
        with transaction(sessions) as session:
            held = hold(session, first_slot_id=first, second_slot_id=second, channel="online", actor=actor)
            held_id = held.id
        with transaction(sessions) as session:
            confirm(session, held_id, details=details, actor=actor)


class RawUpdater:
    """One process taking places from one row with a single conditional UPDATE in autocommit."""

    SQL = "UPDATE slots SET online_taken = online_taken + 1 WHERE id = %s AND online_taken < online_capacity"

    def prepare(self, index, url, slot_id, attempts):
        return psycopg.connect(libpq_url(url), autocommit=True)

    def __call__(self, index, conn, url, slot_id, attempts):
        booked = rejected = 0
        latencies = []
        with conn:
            for _ in range(attempts):
                started = time.perf_counter()
                if conn.execute(self.SQL, (slot_id,)).rowcount == 1:
                    booked += 1
                else:
                    rejected += 1
                latencies.append(time.perf_counter() - started)
        return {"booked": booked, "rejected": rejected, "latencies": latencies}


def summarise(outcomes: list[dict], seconds: float) -> dict:
    """Bookings per second, attempts per second and latency percentiles over all processes."""
    booked = sum(o["booked"] for o in outcomes)
    rejected = sum(o["rejected"] for o in outcomes)
    latencies = [t for o in outcomes for t in o["latencies"]]
    return {"booked": booked, "rejected": rejected, "seconds": round(seconds, 3),
            "bookings_per_s": round(booked / seconds, 1), "attempts_per_s": round((booked + rejected) / seconds, 1),
            **percentiles(latencies)}


def prepare_day(url: str, hot_slots: int, attempts: int):
    """A centre with a hot day of paired slots holding 90 % of the attempts, and one baseline row."""
    per_slot = math.ceil(attempts * SOLD_FRACTION / hot_slots)
    sessions = make_sessionmaker(make_engine(url))
    with transaction(sessions) as session:
        v = seed.vaccine(session, "BNT")
        hot_centre = seed.centre(session, "Impfzentrum Bench", "Bielefeld")
        day = date.today() + timedelta(days=7)
        hot = seed.hot_day(session, hot_centre, v, day, hot_slots, phone=1, online=per_slot)
        other = seed.centre(session, "Impfzentrum Baseline", "Gütersloh", postcodes=("33330",))
        base = seed.hot_day(session, other, v, day, 1, phone=0, online=int(attempts * SOLD_FRACTION))
    sessions.kw["bind"].dispose()
    return hot, base.firsts[0]


def verify(url: str, baseline_slot: int, baseline_booked: int) -> dict:
    """Invariants afterwards: the ledger is consistent and the baseline row took exactly its successes."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        row = session.get(Slot, baseline_slot)
        baseline_ok = row.online_taken == baseline_booked and row.online_taken <= row.online_capacity
        row.online_taken = 0  # the baseline row holds no bookings: reset so the ledger check sees it clean
    with transaction(sessions) as session:
        problems = ledger_problems(session)
        over = session.scalars(select(Slot.id).where(
            (Slot.online_taken > Slot.online_capacity) | (Slot.phone_taken > Slot.phone_capacity))).all()
        confirmed = session.query(Booking).filter(Booking.status == "confirmed").count()
    engine.dispose()
    return {"ledger_problems": problems, "overbooked_pools": len(over), "baseline_row_exact": baseline_ok,
            "confirmed_bookings": confirmed}


@benchmark("contention")
def run(settings: Settings) -> Result:
    """Paired bookings per second on hot slots, as a ratio to raw conditional UPDATEs on one row."""
    processes = settings.pick(2, 8, "processes")
    attempts = settings.pick(15, 400, "attempts")  # per process
    hot_slots = settings.pick(2, 4, "hot_slots")
    path = str(settings.overrides.get("path", "channel"))
    result = Result("contention", settings.size,
                    params={"ledger_path": path, "processes": processes, "attempts_per_process": attempts, "hot_slot_pairs": hot_slots,
                            "capacity_share_of_attempts": SOLD_FRACTION},
                    targets={"ratio_bookings_per_s": ">= 0.3"})
    with fresh_database(settings.pg_admin_url) as url:
        hot, baseline_slot = prepare_day(url, hot_slots, processes * attempts)
        bare, bare_s = run_parallel(RawUpdater(), processes, (url, baseline_slot, attempts))
        ours, ours_s = run_parallel(LedgerBooker(path), processes, (url, hot.pairs, attempts))
        result.baseline = summarise(bare, bare_s)
        result.figures = summarise(ours, ours_s)
        checks = verify(url, baseline_slot, result.baseline["booked"])
    result.ratios = {"bookings_per_s": ratio(result.figures["bookings_per_s"], result.baseline["bookings_per_s"])}
    expected = min(processes * attempts, hot_slots * math.ceil(processes * attempts * SOLD_FRACTION / hot_slots))
    result.checks = {"ledger_problems": checks["ledger_problems"], "overbooked_pools": checks["overbooked_pools"],
                     "baseline_row_exact": checks["baseline_row_exact"],
                     "confirmed_equals_booked": checks["confirmed_bookings"] == result.figures["booked"],
                     "sold_out_exactly": result.figures["booked"] == expected}
    result.notes.append(f"ours = a paired booking (hold, then confirm with person registration and audit; "
                        f"path {path}); baseline = one conditional UPDATE in autocommit")
    return result
