"""Fixtures for the IVR tests. `ivr_world` (centres, slots, campaign windows) is in tests/conftest.py,
because the fault tests in tests/services/ book by phone too; helpers are in tests/ivr/support.py."""
from __future__ import annotations

import pytest

from ivr import area_codes
from tests.hotline.support import hotline
from tests.ivr.support import SIMULATOR_ENV


@pytest.fixture
def sessions_of(app):
    """The app's own sessionmaker, for arranging and checking data."""
    return app.extensions["services.db"].sessions


@pytest.fixture(scope="module")
def generated_area_codes() -> dict:
    """The table as the generator makes it from the installed phonenumbers (imports the whole geodata)."""
    return area_codes.generate()


@pytest.fixture(scope="module")
def installed_table(generated_area_codes) -> area_codes.Table:
    return area_codes.table_of(generated_area_codes)


@pytest.fixture(scope="module")
def sim_demo_dir(tmp_path_factory):
    """A folder where `hotline demo --no-serve` ran with the simulator's webhook token (one per test module)."""
    folder = tmp_path_factory.mktemp("sim")
    assert hotline(folder, "demo", "--no-serve", **SIMULATOR_ENV).returncode == 0
    return folder
