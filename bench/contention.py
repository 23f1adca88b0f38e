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
from psycopg.types.json import Jsonb
from sqlalchemy import select

from bench import seed
from bench.core import Result, Settings, benchmark, percentiles, ratio
from bench.pgdb import fresh_database, libpq_url
from bench.workers import run_parallel
from shared_db.errors import SlotUnavailable
from shared_db.ledger import book, confirm, hold
from shared_db.ledger.checks import ledger_problems
from shared_db.ledger.codes import new_code
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


class RawSqlBooker:
    """The floor: the ledger's own statements for one paired booking, issued raw through psycopg.

    Same round trips as the ledger (lock and read the pair, take both places, insert
    the hold; lock the hold, insert the person, write two audit rows, confirm), with
    no ORM, no checks in Python and no retries. Whatever a Python client does per
    booking, it cannot beat this on the same database: it shows how much of the gap
    to the bare UPDATE is the SQL a booking needs and how much is our code.
    """

    def __init__(self, path: str = "channel") -> None:
        self.path = path

    def prepare(self, index, url, pairs, attempts):
        return psycopg.connect(libpq_url(url))

    def __call__(self, index, conn, url, pairs, attempts):
        booked = rejected = 0
        latencies = []
        with conn:
            for i in range(attempts):
                first, second = pairs[(index + i) % len(pairs)]
                started = time.perf_counter()
                if self.book_one(conn, first, second, f"Raw Person {index} {i}", i):
                    booked += 1
                else:
                    rejected += 1
                latencies.append(time.perf_counter() - started)
        return {"booked": booked, "rejected": rejected, "latencies": latencies}

    def book_one(self, conn, first: int, second: int, name: str, i: int) -> bool:
        now = utcnow().replace(tzinfo=None)
        if self.path == "book":
            with conn.transaction():
                booking_id = self._hold(conn, first, second, now)
                if booking_id is not None:
                    self._confirm(conn, booking_id, name, i, now)
            return booking_id is not None
        with conn.transaction():
            booking_id = self._hold(conn, first, second, now)
        if booking_id is None:
            return False
        with conn.transaction():
            self._confirm(conn, booking_id, name, i, now)
        return True

    @staticmethod
    def _hold(conn, first: int, second: int, now):
        code = new_code()
        rows = conn.execute(
            "SELECT s.id, s.online_taken < s.online_capacity, v.doses, c.timezone,"
            " EXISTS (SELECT 1 FROM bookings WHERE code = %s)"
            " FROM slots s JOIN vaccines v ON v.id = s.vaccine_id JOIN centres c ON c.id = s.centre_id"
            " WHERE s.id IN (%s, %s) ORDER BY s.id FOR UPDATE OF s", (code, first, second)).fetchall()
        if not all(row[1] for row in rows):
            return None
        conn.execute("UPDATE slots SET online_taken = online_taken + 1"
                     " WHERE id IN (%s, %s) AND online_taken < online_capacity", (first, second))
        return conn.execute(
            "INSERT INTO bookings (code, first_slot_id, first_pool, second_slot_id, second_pool, status, channel,"
            " hold_expires_at, created_at, created_by) VALUES (%s, %s, 'online', %s, 'online', 'held', 'online',"
            " %s, %s, 'bench:raw') RETURNING id",
            (code, first, second, now + timedelta(minutes=3), now)).fetchone()[0]

    @staticmethod
    def _confirm(conn, booking_id: int, name: str, i: int, now) -> None:
        conn.execute("SELECT b.*, (SELECT starts_at FROM slots WHERE id = coalesce(b.second_slot_id, b.first_slot_id))"
                     " FROM bookings b WHERE b.id = %s FOR UPDATE OF b", (booking_id,)).fetchone()
        person_id = conn.execute(
            "INSERT INTO people (name, name_key, date_of_birth, language, registered_via, created_at, retention_until,"
            " wants_notification) VALUES (%s, %s, %s, 'de', 'online', %s, %s, false)"
            " ON CONFLICT (name_key, date_of_birth) DO NOTHING RETURNING id",
            (name, name.lower(), date(1935, 1, 1) + timedelta(days=i % 3650), now, now.date() + timedelta(days=60)),
        ).fetchone()[0]
        for entity, entity_id, action in (("person", person_id, "registered"), ("booking", booking_id, "confirmed")):
            conn.execute("INSERT INTO audit_log (at, actor, entity, entity_id, action, after)"
                         " VALUES (%s, 'bench:raw', %s, %s, %s, %s)",
                         (now, entity, entity_id, action, Jsonb({"status": "confirmed"})))
        conn.execute("UPDATE bookings SET person_id = %s, status = 'confirmed', confirmed_at = %s,"
                     " hold_expires_at = NULL, changed_by = 'bench:raw' WHERE id = %s", (person_id, now, booking_id))


def summarise(outcomes: list[dict], seconds: float) -> dict:
    """Bookings per second, attempts per second and latency percentiles over all processes."""
    booked = sum(o["booked"] for o in outcomes)
    rejected = sum(o["rejected"] for o in outcomes)
    latencies = [t for o in outcomes for t in o["latencies"]]
    return {"booked": booked, "rejected": rejected, "seconds": round(seconds, 3),
            "bookings_per_s": round(booked / seconds, 1), "attempts_per_s": round((booked + rejected) / seconds, 1),
            **percentiles(latencies)}


def prepare_day(url: str, hot_slots: int, attempts: int):
    """Two hot days of paired slots (ledger, raw SQL floor) holding 90 % of the attempts each, and one baseline row."""
    per_slot = math.ceil(attempts * SOLD_FRACTION / hot_slots)
    sessions = make_sessionmaker(make_engine(url))
    with transaction(sessions) as session:
        v = seed.vaccine(session, "BNT")
        hot_centre = seed.centre(session, "Impfzentrum Bench", "Bielefeld")
        day = date.today() + timedelta(days=7)
        hot = seed.hot_day(session, hot_centre, v, day, hot_slots, phone=1, online=per_slot)
        floor = seed.hot_day(session, hot_centre, v, day + timedelta(days=1), hot_slots, phone=0, online=per_slot)
        other = seed.centre(session, "Impfzentrum Baseline", "Gütersloh", postcodes=("33330",))
        base = seed.hot_day(session, other, v, day, 1, phone=0, online=int(attempts * SOLD_FRACTION))
    sessions.kw["bind"].dispose()
    return hot, floor, base.firsts[0]


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
        confirmed = session.query(Booking).filter(Booking.status == "confirmed",
                                                  Booking.created_by != "bench:raw").count()
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
                    params={"ledger_path": path, "processes": processes, "attempts_per_process": attempts,
                            "hot_slot_pairs": hot_slots, "capacity_share_of_attempts": SOLD_FRACTION},
                    targets={"ratio_bookings_per_s": ">= 0.3"})
    with fresh_database(settings.pg_admin_url) as url:
        hot, floor_day, baseline_slot = prepare_day(url, hot_slots, processes * attempts)
        bare, bare_s = run_parallel(RawUpdater(), processes, (url, baseline_slot, attempts))
        floor, floor_s = run_parallel(RawSqlBooker(path), processes, (url, floor_day.pairs, attempts))
        ours, ours_s = run_parallel(LedgerBooker(path), processes, (url, hot.pairs, attempts))
        result.baseline = summarise(bare, bare_s)
        result.baseline["raw_sql_booking"] = summarise(floor, floor_s)
        result.figures = summarise(ours, ours_s)
        checks = verify(url, baseline_slot, result.baseline["booked"])
    floor_rate = result.baseline["raw_sql_booking"]["bookings_per_s"]
    result.ratios = {"bookings_per_s": ratio(result.figures["bookings_per_s"], result.baseline["bookings_per_s"]),
                     "raw_sql_booking_vs_update": ratio(floor_rate, result.baseline["bookings_per_s"]),
                     "ours_vs_raw_sql_booking": ratio(result.figures["bookings_per_s"], floor_rate)}
    expected = min(processes * attempts, hot_slots * math.ceil(processes * attempts * SOLD_FRACTION / hot_slots))
    result.checks = {"ledger_problems": checks["ledger_problems"], "overbooked_pools": checks["overbooked_pools"],
                     "baseline_row_exact": checks["baseline_row_exact"],
                     "confirmed_equals_booked": checks["confirmed_bookings"] == result.figures["booked"],
                     "sold_out_exactly": result.figures["booked"] == expected,
                     "raw_sql_sold_out_exactly": result.baseline["raw_sql_booking"]["booked"] == expected}
    result.notes.append(f"ours = a paired booking (hold, then confirm with person registration and audit; "
                        f"path {path}); baseline = one conditional UPDATE in autocommit; raw_sql_booking = "
                        f"the same booking's statements issued raw through psycopg (the floor for any client)")
    return result
