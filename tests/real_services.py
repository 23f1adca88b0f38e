"""The real PostgreSQL and Redis the tests use: where they are, what happens when they are not there.

Set HOTLINE_REQUIRE_SERVICES=1 (CI does) to turn "service not reachable" skips
into failures.
"""
from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from shared_db.models import Base

PG_ADMIN_URL = os.environ.get("HOTLINE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_TEST_URL = os.environ.get("HOTLINE_TEST_REDIS", "redis://127.0.0.1:6379/15")
REQUIRE_SERVICES = os.environ.get("HOTLINE_REQUIRE_SERVICES") == "1"


def unavailable(what: str, exc: Exception):
    """Skip locally, fail in CI, when a real service is not there."""
    message = f"{what} not reachable: {exc.__class__.__name__}: {exc}"
    if REQUIRE_SERVICES:
        pytest.fail(message)
    pytest.skip(message)


def empty_all_tables(engine) -> None:
    """Delete every row, keep the schema (migrations ran once per session)."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
