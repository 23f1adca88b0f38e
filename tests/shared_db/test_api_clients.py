"""API keys: shown once, stored only as a hash, found by prefix, revocable (the `hotline api-keys` commands
are tested in tests/hotline/test_cli.py)."""
from __future__ import annotations

import hashlib

import pytest

from shared_db.access.api_clients import authenticate, create_client, list_clients, revoke
from shared_db.errors import InvalidInput
from shared_db.models import ApiClient


def test_key_is_stored_only_as_its_hash(sessions):
    with sessions.begin() as s:
        client, key = create_client(s, "portal")
    with sessions.begin() as s:
        row = s.get(ApiClient, client.id)
        assert key.startswith(row.key_prefix + ".") and len(key) > 40
        assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
        assert key not in (row.key_hash, row.key_prefix, row.name)
        assert authenticate(s, key).id == client.id


def test_wrong_unknown_and_malformed_keys_fail(sessions):
    with sessions.begin() as s:
        _, key = create_client(s, "portal")
        prefix = key.split(".")[0]
        for bad in (None, "", "nodot", f"{prefix}.wrong", "ffffffff." + key.split(".")[1], key + "x" * 200):
            assert authenticate(s, bad) is None


def test_revoked_key_fails_and_revoking_twice_is_harmless(sessions):
    with sessions.begin() as s:
        client, key = create_client(s, "portal")
        revoke(s, "portal")
        revoked_at = client.revoked_at
        assert revoke(s, client.key_prefix).revoked_at == revoked_at
        assert authenticate(s, key) is None
        with pytest.raises(InvalidInput):
            revoke(s, "nobody")


def test_names_are_unique_and_keys_differ(sessions):
    with sessions.begin() as s:
        _, one = create_client(s, "a")
        _, two = create_client(s, "b")
        assert one != two
        with pytest.raises(InvalidInput):
            create_client(s, "a")
        with pytest.raises(InvalidInput):
            create_client(s, "  ")
        assert [c.name for c in list_clients(s)] == ["a", "b"]

