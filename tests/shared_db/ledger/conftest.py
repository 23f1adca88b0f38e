"""Fixtures for the ledger's tests: a BioNTech pair, and many real PostgreSQL connections for the races."""
from __future__ import annotations

import pytest

from shared_db.session import make_engine, make_sessionmaker
from tests import builders as b
from tests.shared_db.ledger.support import DAY, RACE_THREADS


@pytest.fixture
def bnt_pair(sessions) -> dict:
    """A centre with one BioNTech pair on DAY (2 phone + 8 online places each)."""
    with sessions.begin() as s:
        v, c = b.vaccine(s), None
        c = b.centre(s)
        first, second = b.pair(s, c, v, DAY)
        return {"centre": c.id, "first": first, "second": second, "vaccine": v.id}


@pytest.fixture
def race_sessions(pg_url, pg_engine):
    """Many real connections: one per worker thread."""
    engine = make_engine(pg_url, pool_size=RACE_THREADS, max_overflow=8)
    yield make_sessionmaker(engine)
    engine.dispose()
