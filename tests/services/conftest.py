"""Fixtures for the tests of services/: jobs in-process with a recording notifier, the job queue's hand-over,
Twilio's contract (Prism, and a stateful fake), and real services a fault test may stop (its own redis-server,
`hotline worker` processes, its own PostgreSQL cluster) with the app on them.

`ivr_world` (the fault tests book by phone) is in tests/conftest.py; helpers are in support.py and
fault_support.py beside this file."""
from __future__ import annotations

import os
import signal

import pytest

from services import queueing
from services.jobs import notifier as notifiers
from shared_db.session import make_engine, make_sessionmaker, migrate, transaction
from tests.ivr.support import build_ivr_world
from tests.real_services import unavailable
from tests.services.fault_support import OwnPostgres, OwnRedis, Worker
from tests.services.support import RecordingNotifier, use_database, use_notifier
from tests.twilio_fake import Contract, FakeTwilio, Server
from tests.twilio_mock import start_prism, twilio_openapi

# --------------------------------------------------------------------------- jobs in this process


@pytest.fixture
def jobs(db_url, sessions):
    """Jobs on the test database, in-process, with a recording notifier."""
    use_database(db_url)
    fake = RecordingNotifier()
    use_notifier(fake)
    yield fake
    queueing.drain()
    notifiers.use(None)


@pytest.fixture
def inline_sessions():
    """A sessionmaker on an in-memory SQLite, with the job queue in in-process mode."""
    queueing.configure(None)  # in-process mode
    engine = make_engine("sqlite://")
    yield make_sessionmaker(engine)
    queueing.drain()
    engine.dispose()


# --------------------------------------------------------------------------- Twilio's contract


@pytest.fixture(scope="session")
def prism_url(tmp_path_factory):
    """Prism mocking Twilio from the pinned npm package's document (takes ~15 s: once per session)."""
    proc, url = start_prism(twilio_openapi(), tmp_path_factory.mktemp("prism") / "prism.log")
    yield url
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def twilio_contract():
    """Twilio's OpenAPI document, able to say what is wrong with one request (tests/twilio_fake.Contract)."""
    return Contract(twilio_openapi())


@pytest.fixture
def fake_twilio(twilio_contract):
    """A stateful Twilio REST API on a port of its own that remembers messages and misbehaves on cue."""
    fake = FakeTwilio(twilio_contract)
    server = Server(fake)
    fake.url = server.url
    yield fake
    server.stop()
    assert fake.violations == []  # every request we made kept to Twilio's contract


# --------------------------------------------------------------------------- real services a test may stop


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own (the shared one on 6379 is never stopped)."""
    try:
        redis = OwnRedis(tmp_path)
        redis.start()
    except Exception as exc:  # noqa: BLE001
        unavailable("redis-server", exc)
    yield redis
    redis.stop()


@pytest.fixture
def workers(pg_url, own_redis, fake_twilio, tmp_path):
    """Start `hotline worker` processes on the test database; all are stopped afterwards."""
    started: list[Worker] = []

    def start(**env) -> Worker:
        worker = Worker(pg_url, own_redis.url, fake_twilio.url, tmp_path / "worker.log", **env).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill()


@pytest.fixture
def own_redis_app(pg_url, pg_engine, own_redis):
    """The web app with jobs going to our own Redis (which the test may stop)."""
    from hotline import create_app
    from hotline.config import TestConfig

    app = create_app(TestConfig(pg_url, REDIS_URL=own_redis.url))
    yield app
    app.extensions["services.db"].engine.dispose()


@pytest.fixture
def own_redis_client(own_redis_app):
    return own_redis_app.test_client()


@pytest.fixture
def own_pg():
    """A throwaway PostgreSQL cluster of this test's own (initdb + pg_ctl on another port)."""
    try:
        pg = OwnPostgres()
        pg.start()
    except Exception as exc:  # noqa: BLE001
        unavailable("a throwaway PostgreSQL cluster (initdb/pg_ctl)", exc)
    yield pg
    pg.destroy()


@pytest.fixture
def restart_app(own_pg):
    """The web app on `own_pg`, migrated, with the IVR's world in it."""
    from hotline import create_app
    from hotline.config import TestConfig

    migrate(own_pg.url)
    app = create_app(TestConfig(own_pg.url))
    with transaction(app.extensions["services.db"].sessions) as session:
        build_ivr_world(session)
    yield app
    app.extensions["services.db"].engine.dispose()
