"""The `hotline` command on a fresh folder: the README's first command, and the operator commands."""
import os
import subprocess
import sys

from sqlalchemy import select

from shared_db.access.api_clients import authenticate
from shared_db.models import ApiClient
from tests.hotline.support import REPO, hotline


def test_demo_prepares_an_embedded_hotline(demo_dir):
    assert (demo_dir / "instance" / "hotline.sqlite3").exists()
    assert oct((demo_dir / "instance" / "hotline.env").stat().st_mode)[-3:] == "600"
    check = hotline(demo_dir, "check")
    assert check.returncode == 0 and "ledger consistent" in check.stdout


def test_demo_twice_keeps_the_data(demo_dir):
    again = hotline(demo_dir, "demo", "--no-serve")
    assert again.returncode == 0, again.stderr
    refused = hotline(demo_dir, "seed-demo")
    assert refused.returncode != 0 and "already has centres" in (refused.stderr + refused.stdout)


def test_users_add_and_purge_dry_run(demo_dir):
    added = hotline(demo_dir, "users", "add", "erika", "--role", "supervisor", "--password", "lang-genug-123")
    assert added.returncode == 0, added.stderr
    short = hotline(demo_dir, "users", "add", "kurt", "--password", "kurz")
    assert short.returncode != 0 and "10 characters" in short.stderr
    purge = hotline(demo_dir, "purge", "--dry-run")
    assert purge.returncode == 0 and "would delete as of" in purge.stdout and ": 0 people" in purge.stdout


def test_purge_as_of_a_later_day_tells_what_would_go_then(demo_dir):
    """The demo's no-show and the busy day's cancellations ended today: kept 30 days (the last on day 29),
    gone on day 30."""
    from datetime import timedelta

    from shared_db import clock
    from shared_db.operations.demo_day import CANCELLED

    ended_today = 1 + len(CANCELLED)  # the no-show, and the people who cancelled this morning

    def as_of(days: int):
        return hotline(demo_dir, "purge", "--dry-run", "--as-of", (clock.today() + timedelta(days=days)).isoformat())

    assert ": 0 people" in as_of(29).stdout
    assert f": {ended_today} people" in as_of(30).stdout and f"person {ended_today}" in as_of(30).stdout
    refused = hotline(demo_dir, "purge", "--as-of", (clock.today() + timedelta(days=30)).isoformat())
    assert refused.returncode != 0 and "--dry-run" in refused.stderr
    assert "person:" in hotline(demo_dir, "purge", "--rules").stdout


def test_later_commands_use_the_demo_settings(demo_dir):
    script = demo_dir / "short_call.txt"
    script.write_text("expect: Willkommen\nhangup\n")
    call = hotline(demo_dir, "call", "--script", str(script))
    assert call.returncode == 0, call.stdout + call.stderr


def test_demo_serves_the_whole_hotline(demo_dir):
    """The README's first command must leave a server running, not only a prepared database."""
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")}
    env["HOTLINE_INSTANCE_DIR"] = str(demo_dir / "instance")
    env["PYTHONPATH"] = str(REPO)  # this checkout's code
    server = subprocess.Popen([sys.executable, "-m", "hotline.cli", "demo", "--port", str(port)], cwd=str(demo_dir),
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, answers = time.monotonic() + 60, {}
        while time.monotonic() < deadline and len(answers) < 3:
            for path in ("/healthz", "/console/login", "/api/v1/openapi.json"):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as answer:
                        answers[path] = answer.status
                except OSError:
                    time.sleep(0.5)
        assert answers == {"/healthz": 200, "/console/login": 200, "/api/v1/openapi.json": 200}
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_api_keys_add_list_revoke(app, pg_sessions):
    """`hotline api-keys add|list|revoke` (shared_db.access.api_clients behind them)."""
    from hotline.cli import api_keys_add, api_keys_list, api_keys_revoke

    runner = app.test_cli_runner()
    added = runner.invoke(api_keys_add, ["Landesportal"])
    assert added.exit_code == 0, added.output
    key = added.output.strip().splitlines()[-1]
    with pg_sessions.begin() as s:
        assert authenticate(s, key).name == "Landesportal"
        prefix = s.scalar(select(ApiClient.key_prefix))
    listed = runner.invoke(api_keys_list, [])
    assert prefix in listed.output and "active" in listed.output and key not in listed.output
    assert runner.invoke(api_keys_add, ["Landesportal"]).exit_code != 0
    revoked = runner.invoke(api_keys_revoke, ["Landesportal"])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert "revoked" in runner.invoke(api_keys_list, []).output
    with pg_sessions.begin() as s:
        assert authenticate(s, key) is None
    assert runner.invoke(api_keys_revoke, ["nobody"]).exit_code != 0


def test_help_lists_hotlines_commands_and_nothing_of_flask(tmp_path):
    shown = hotline(tmp_path, "--help")
    assert shown.returncode == 0, shown.stderr
    options, commands = shown.stdout.split("Commands:")
    names = {line.split()[0] for line in commands.splitlines() if line.startswith("  ") and line[2] != " "}
    assert names == {"api-keys", "bench", "call", "check", "demo", "import-slots", "invitations", "migrate", "outbox",
                     "purge", "seed-demo", "sweep", "users", "worker"}
    assert "--env-file" not in options and "--app" not in options and "--debug" not in options


def test_version_is_hotlines_own(tmp_path):
    from importlib.metadata import version

    shown = hotline(tmp_path, "--version")
    assert shown.returncode == 0 and shown.stdout.strip() == f"hotline, version {version('hotline')}"
    assert "Flask" not in shown.stdout and "Werkzeug" not in shown.stdout
