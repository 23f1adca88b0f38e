"""`hotline worker`, `sweep` and `outbox` on the embedded defaults (SQLite, no Redis)."""
import pytest

from tests.test_cli import hotline


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    path = tmp_path_factory.mktemp("jobs-cli")
    assert hotline(path, "demo", "--no-serve").returncode == 0
    return path


def test_worker_refuses_without_redis(embedded):
    result = hotline(embedded, "worker")
    assert result.returncode != 0 and "REDIS_URL is not set" in result.stderr


def test_sweep_runs_the_periodic_jobs_in_process(embedded):
    result = hotline(embedded, "sweep")
    assert result.returncode == 0, result.stderr
    for name in ("sweep_holds", "sweep_outbox", "release_phone_quota", "send_reminders"):
        assert f"{name}:" in result.stdout


def test_outbox_counts_and_failures(embedded):
    result = hotline(embedded, "outbox", "--failed")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "empty"
