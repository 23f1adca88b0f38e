"""Fixtures for the benchmarks' smoke test."""
from __future__ import annotations

import pytest

from bench.core import Settings
from tests.real_services import PG_ADMIN_URL, REDIS_TEST_URL, unavailable


@pytest.fixture(scope="module")
def bench_settings(tmp_path_factory):
    """Smoke size, the test PostgreSQL server and Redis database, results in a temp dir."""
    from sqlalchemy import create_engine, text

    try:
        with create_engine(PG_ADMIN_URL).connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001
        unavailable("PostgreSQL", exc)
    return Settings(size="smoke", pg_admin_url=PG_ADMIN_URL, redis_url=REDIS_TEST_URL,
                    results_dir=tmp_path_factory.mktemp("bench-results"))
