"""API clients of the online API: keys shown once, only their SHA-256 kept, looked up by prefix.

A key is `<prefix>.<secret>`: the prefix (8 hex digits) finds the row, the
secret (256 random bits) proves possession. A fast hash is enough for a
high-entropy random secret (nothing to brute-force), and it keeps every API
request cheap; the comparison is constant-time.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from shared_db.errors import InvalidInput
from shared_db.models import ApiClient, IdempotencyRecord
from shared_db.types import utcnow

PREFIX_BYTES = 4
SECRET_BYTES = 32
MAX_KEY_LENGTH = 120


def hash_key(key: str) -> str:
    """The stored form of a key: hex SHA-256."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_client(session: Session, name: str, now: datetime | None = None) -> tuple[ApiClient, str]:
    """Register a client; returns it and its key, which is never stored and cannot be shown again."""
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise InvalidInput("name", "1 to 80 characters")
    if session.scalar(select(ApiClient.id).where(ApiClient.name == name)) is not None:
        raise InvalidInput("name", "a client with this name exists")
    prefix = _unused_prefix(session)
    key = f"{prefix}.{secrets.token_urlsafe(SECRET_BYTES)}"
    client = ApiClient(name=name, key_prefix=prefix, key_hash=hash_key(key), active=True,
                       created_at=now or utcnow())
    session.add(client)
    session.flush()
    return client, key


def _unused_prefix(session: Session) -> str:
    for _ in range(20):
        prefix = secrets.token_hex(PREFIX_BYTES)
        if session.scalar(select(ApiClient.id).where(ApiClient.key_prefix == prefix)) is None:
            return prefix
    raise RuntimeError("could not find a free key prefix")


def authenticate(session: Session, key: str | None) -> ApiClient | None:
    """The active client owning this key, or None for a missing, malformed, unknown or revoked key."""
    if not key or len(key) > MAX_KEY_LENGTH or "." not in key:
        return None
    prefix = key.split(".", 1)[0]
    client = session.scalar(select(ApiClient).where(ApiClient.key_prefix == prefix))
    if client is None or not client.active:
        return None
    return client if hmac.compare_digest(client.key_hash, hash_key(key)) else None


def revoke(session: Session, name_or_prefix: str, now: datetime | None = None) -> ApiClient:
    """Revoke a client's key at once (by name or key prefix); revoking twice changes nothing."""
    client = session.scalar(select(ApiClient).where(
        (ApiClient.name == name_or_prefix) | (ApiClient.key_prefix == name_or_prefix)))
    if client is None:
        raise InvalidInput("client", "no API client with this name or key prefix")
    if client.active:
        client.active, client.revoked_at = False, now or utcnow()
        session.flush()
    return client


def list_clients(session: Session) -> list[ApiClient]:
    """All clients, oldest first."""
    return list(session.scalars(select(ApiClient).order_by(ApiClient.id)))


def purge_idempotency_records(session: Session, older_than: timedelta = timedelta(days=2),
                              now: datetime | None = None) -> int:
    """Delete stored answers past the retry window (they name booking codes); returns how many."""
    cutoff = (now or utcnow()) - older_than
    return session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)).rowcount
