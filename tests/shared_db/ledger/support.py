"""Constants the ledger's tests share with their fixtures (tests/shared_db/ledger/conftest.py)."""
from __future__ import annotations

from datetime import timedelta

from tests import builders as b

DAY = b.NOW.date() + timedelta(days=10)  # well before the 48 h phone release
RACE_THREADS = 32  # worker threads of the race tests, one connection each
