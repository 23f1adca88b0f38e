"""Fixtures for the online API tests; builders and helpers are in tests/online_api/support.py."""
from __future__ import annotations

import pytest
import schemathesis
from sqlalchemy import select

from hotline import config as hotline_config
from hotline import create_app
from shared_db.access.api_clients import create_client
from shared_db.models import CampaignWindow, PriorityGroup
from tests import builders as b
from tests.online_api.support import ApiWorld, at, build_api_world, make_client


@pytest.fixture
def api_world(pg_sessions) -> ApiWorld:
    """Two centres, BNT pairs, a J&J slot, group 1 open today, group 2 in a week, one API client (ids and key)."""
    return build_api_world(pg_sessions)


@pytest.fixture
def limited_client(pg_url):
    """A client of an app allowing 5 requests per client and 2 per end user per minute, counted in memory."""
    app, client = make_client(pg_url, API_RATE_LIMIT_CLIENT="5/minute", API_RATE_LIMIT_END_USER="2/minute")
    yield client
    app.extensions["services.db"].engine.dispose()


@pytest.fixture
def fuzz_target(pg_url, pg_sessions):
    """An app with generous rate limits, demo-like data and a key for Schemathesis: (app, ApiWorld)."""
    app = create_app(hotline_config.TestConfig(pg_url, API_RATE_LIMIT_CLIENT="100000/minute",
                                               API_RATE_LIMIT_END_USER="100000/minute"))
    api_world = build_api_world(pg_sessions)
    yield app, api_world
    app.extensions["services.db"].engine.dispose()


@pytest.fixture
def api_schema(fuzz_target):
    """The served OpenAPI document of `fuzz_target`'s app, for schemathesis.pytest.from_fixture."""
    app, _ = fuzz_target
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def portal_keys(pg_sessions) -> list[str]:
    """Only the race's slots at the caller's centre (so the IVR offers them), and two portal clients' keys."""
    with pg_sessions.begin() as s:
        _, first_key = create_client(s, "portal")
        _, second_key = create_client(s, "second portal")
        b.vaccine(s)  # reference data: vaccines and priority groups
        b.centre(s, "Impfzentrum Bielefeld", "Bielefeld", postcodes=("33602",))
        group_1 = s.scalar(select(PriorityGroup.id).where(PriorityGroup.number == 1))
        s.add(CampaignWindow(group_id=group_1, opens_on=at(-1).date(), channels="phone,online,agent"))
    return [first_key, second_key]
