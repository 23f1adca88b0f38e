"""PostgreSQL restarted under a running app: the IVR apologises during the outage, then works again, no restart.

Runs on a throwaway cluster of its own (initdb + pg_ctl on another port), never on the shared server.
"""
from __future__ import annotations

import pytest

import voice_prompts as vp
from tests.ivr.support import new_call

pytestmark = pytest.mark.slow


def test_ivr_apologises_while_postgres_is_down_and_recovers_without_restart(restart_app, own_pg):
    client = restart_app.test_client()
    before = new_call(client).dial()
    assert before.gather is not None and "Störung" not in before.heard()
    assert client.get("/readyz").status_code == 200

    own_pg.stop()
    during = new_call(client).dial()  # HTTP 200 with TwiML, or the simulator would raise
    apology = vp.text("de", "apology").split("|")[0].strip()
    assert apology in during.heard() and during.find("Enqueue") is not None
    assert client.get("/readyz").status_code == 503

    own_pg.start()
    after = new_call(client).dial()
    assert after.gather is not None and "Störung" not in after.heard()
    assert client.get("/readyz").status_code == 200
    call = new_call(client, from_number="+4915112345679")
    call.dial()
    call.press("1")
    assert call.last.gather is not None  # the call goes on: sessions are stored again
