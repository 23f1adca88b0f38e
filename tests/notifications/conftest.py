"""Fixtures for the tests of notifications/ (Twilio's status, reply and keypress callbacks)."""
from __future__ import annotations

import pytest

from shared_db.messages import outbox
from tests.builders import booked


@pytest.fixture
def sent(app, pg_sessions):
    """A confirmation SMS the worker handed to Twilio."""
    with pg_sessions.begin() as session:
        row = outbox.announce_booking(session, booked(session), "confirmation")
        outbox.claim(session, row.id)
        outbox.mark_sent(session, row.id, "SM" + "1" * 32)
        return row.id
