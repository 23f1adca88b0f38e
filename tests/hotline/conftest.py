"""Fixtures for the tests of the composition root (the `hotline` command, health endpoints)."""
from __future__ import annotations

import pytest

from tests.hotline.support import hotline


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    """A folder where `hotline demo --no-serve` ran once, as on a fresh machine (one per test module)."""
    path = tmp_path_factory.mktemp("fresh")
    result = hotline(path, "demo", "--no-serve")
    assert result.returncode == 0, result.stderr
    assert "/console/" in result.stdout and "agent-demo-2021" in result.stdout and "/ivr/voice" in result.stdout
    return path
