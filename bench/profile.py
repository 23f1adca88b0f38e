"""Profile a hot path with pyinstrument: `python -m bench.profile ledger|ivr [--n N]`.

ledger: N paired bookings (hold + confirm) through shared_db.booking.book in one process.
ivr:    N whole IVR booking calls through the Flask test client (no network), as the load generator makes them.
overload: N call attempts asking for a person with no agent online (queue, then callback offers).
The profile is printed as text; pip install pyinstrument first (a development tool, not a dependency).
"""
from __future__ import annotations

import argparse
import os
from datetime import date, timedelta

from bench import seed
from bench.pgdb import fresh_database
from shared_db.ledger import book
from shared_db.session import make_engine, make_sessionmaker, transaction


def ledger_path(url: str, n: int):
    """A hot day with room for n bookings; returns a function making them."""
    sessions = make_sessionmaker(make_engine(url))
    with transaction(sessions) as session:
        v = seed.vaccine(session, "BNT")
        c = seed.centre(session, "Impfzentrum Profil", "Bielefeld")
        hot = seed.hot_day(session, c, v, date.today() + timedelta(days=7), 4, phone=1, online=n)

    def work():
        for i in range(n):
            first, second = hot.pairs[i % 4]
            with transaction(sessions) as session:
                book(session, first_slot_id=first, second_slot_id=second, details=seed.person(0, i),
                     channel="online", actor="bench:profile")
    return work


def ivr_path(url: str, n: int, script=None):
    """n whole booking calls through the app in-process (signed as Twilio signs them)."""
    from bench import ivr_steps
    from bench.loadgen import Tally
    from bench.server import BENCH_AUTH_TOKEN
    from hotline import create_app
    from hotline.config import TestConfig

    ivr_steps.seed_world(url, 50, 2)
    app = create_app(TestConfig(url, TWILIO_AUTH_TOKEN=BENCH_AUTH_TOKEN, HOTLINE_PUBLIC_URL="http://bench"))
    client = FlaskSigned(app.test_client(), Tally())
    script = script or ivr_steps.call

    def work():
        for i in range(1, n + 1):
            assert script(client, i)
    return work


def overload_path(url: str, n: int):
    """n call attempts that ask for a person while no agent is online."""
    from bench.overload import new_call

    return ivr_path(url, n, new_call)


class FlaskSigned:
    """The load generator's client interface over a Flask test client."""

    def __init__(self, client, tally) -> None:
        from twilio.request_validator import RequestValidator

        from bench.server import BENCH_AUTH_TOKEN

        self.client, self.tally, self.validator = client, tally, RequestValidator(BENCH_AUTH_TOKEN)

    def post(self, path: str, params: dict) -> tuple[int, str]:
        signature = self.validator.compute_signature("http://bench" + path, params)
        response = self.client.post(path, data=params, headers={"X-Twilio-Signature": signature})
        return response.status_code, response.get_data(as_text=True)


class StatementCounter:
    """Counts SQL statements and rows fetched on every engine (a deterministic before/after figure)."""

    def __init__(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        self.statements = self.rows = 0
        event.listen(Engine, "after_cursor_execute", self._count)

    def _count(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements += 1
        self.rows += max(cursor.rowcount, 0) if statement.lstrip().upper().startswith("SELECT") else 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("path", choices=("ledger", "ivr", "overload"))
    parser.add_argument("--n", type=int, default=300)
    args = parser.parse_args()
    from pyinstrument import Profiler

    admin = os.environ.get("HOTLINE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    with fresh_database(admin) as url:
        work = {"ledger": ledger_path, "ivr": ivr_path, "overload": overload_path}[args.path](url, args.n)
        counter = StatementCounter()
        profiler = Profiler(interval=0.0005)
        profiler.start()
        work()
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        print(f"{args.path}: {args.n} units, {counter.statements / args.n:.1f} SQL statements and "
              f"{counter.rows / args.n:.1f} rows selected per unit")


if __name__ == "__main__":
    main()
