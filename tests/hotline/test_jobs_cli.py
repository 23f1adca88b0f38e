"""`hotline worker`, `sweep` and `outbox` on the embedded defaults (SQLite, no Redis)."""
from tests.hotline.support import hotline


def test_worker_refuses_without_redis(demo_dir):
    result = hotline(demo_dir, "worker")
    assert result.returncode != 0 and "REDIS_URL is not set" in result.stderr


def test_sweep_runs_the_periodic_jobs_in_process(demo_dir):
    result = hotline(demo_dir, "sweep")
    assert result.returncode == 0, result.stderr
    for name in ("sweep_holds", "sweep_outbox", "release_phone_quota", "send_reminders"):
        assert f"{name}:" in result.stdout


def test_outbox_counts_and_failures(demo_dir):
    """The busy demo day has two undelivered confirmations: listed with Twilio's reason, numbers masked."""
    result = hotline(demo_dir, "outbox", "--failed")
    assert result.returncode == 0, result.stderr
    assert "undelivered: 30006" in result.stdout and "undelivered: 30003" in result.stdout
    assert "+4915112340004" not in result.stdout and "+49…04" in result.stdout
