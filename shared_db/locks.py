"""Transaction-scoped locks on a name, for limits that no single row can guard."""
from __future__ import annotations

import zlib

from sqlalchemy import text
from sqlalchemy.orm import Session


def lock_key(session: Session, key: str) -> None:
    """Hold a lock on `key` until the transaction ends.

    PostgreSQL: an advisory transaction lock. SQLite: every write transaction
    already starts with BEGIN IMMEDIATE (see session.py), so writers are serialised.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _key_number(key)})


def _key_number(key: str) -> int:
    """A stable signed 64-bit number for a key (crc32 of two halves)."""
    high = zlib.crc32(key.encode())
    low = zlib.crc32(key[::-1].encode())
    value = (high << 32) | low
    return value - (1 << 64) if value >= (1 << 63) else value
