"""Fixtures of the whole suite: real PostgreSQL and SQLite databases made by Alembic, Redis, an app, a client,
and the IVR's small world of centres and slots (used by tests/ivr/ and tests/services/).

Each test session makes its own PostgreSQL database (so parallel runs do not
collide), migrates it once, and empties every table after each test. Set
HOTLINE_REQUIRE_SERVICES=1 (CI does) to turn "service not reachable" skips
into failures (tests/real_services.py).

Every folder below has a conftest.py with the fixtures its own tests use;
plain helpers and data builders live in importable modules (tests/builders.py,
tests/<folder>/support.py) and are imported normally.
"""
from __future__ import annotations

import uuid

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from services import queueing
from shared_db.session import make_engine, make_sessionmaker, migrate, transaction
from tests.ivr.support import build_ivr_world
from tests.real_services import PG_ADMIN_URL, REDIS_TEST_URL, empty_all_tables, unavailable


@pytest.fixture(scope="session")
def pg_url():
    """URL of a fresh PostgreSQL database for this test session, migrated with Alembic."""
    name = f"hotline_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "not reachable"
        unavailable("PostgreSQL", exc)
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    migrate(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory):
    """URL of a SQLite file for this test session, migrated with Alembic."""
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'hotline.sqlite3'}"
    migrate(url)
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request):
    """The ledger's tests run on both databases."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    empty_all_tables(engine)
    engine.dispose()


@pytest.fixture
def sessions(engine):
    """A sessionmaker on the test database; tests open their own transactions."""
    return make_sessionmaker(engine)


@pytest.fixture
def pg_engine(pg_url):
    engine = make_engine(pg_url)
    yield engine
    empty_all_tables(engine)
    engine.dispose()


@pytest.fixture
def pg_sessions(pg_engine):
    return make_sessionmaker(pg_engine)


@pytest.fixture
def redis_url():
    """A real Redis on its own database number, emptied before and after."""
    from redis import Redis

    client = Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)
    try:
        client.flushdb()
    except Exception as exc:  # noqa: BLE001
        unavailable("Redis", exc)
    yield REDIS_TEST_URL
    client.flushdb()


class DrainingClient(FlaskClient):
    """The Flask test client, returning only once the in-process jobs a request started have run.

    On the embedded default the outbox is sent by a runner thread after the request;
    tests that look at what was sent wait for it here instead of sleeping.
    """

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        assert queueing.drain(30), "in-process jobs did not finish within 30 s"
        return response


@pytest.fixture
def app(pg_url, pg_engine):
    """The web app on the test PostgreSQL database, jobs in-process."""
    from hotline import create_app
    from hotline.config import TestConfig

    app = create_app(TestConfig(pg_url))
    app.test_client_class = DrainingClient
    yield app
    queueing.drain()
    app.extensions["services.db"].engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def ivr_world(pg_sessions) -> dict:
    """Bielefeld and its neighbour Gütersloh with BioNTech pairs on the test PostgreSQL database (ids only).

    The IVR tests call the `app`; the fault tests in tests/services/ call an app of their own on the
    same database, so the world is written through `pg_sessions`, not through either app.
    """
    with transaction(pg_sessions) as session:
        return build_ivr_world(session)
