"""A fresh PostgreSQL database per benchmark run, migrated with Alembic, dropped afterwards."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

from shared_db.session import migrate


@contextmanager
def fresh_database(admin_url: str, keep: bool = False) -> Iterator[str]:
    """Create `hotline_bench_<random>`, migrate it, yield its URL, drop it (unless `keep`)."""
    name = f"hotline_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        migrate(url)
        yield url
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def libpq_url(url: str) -> str:
    """The same URL for psycopg directly (without SQLAlchemy's driver suffix)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)
