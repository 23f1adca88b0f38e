"""The `hotline` command on a fresh folder: the README's first command, and the operator commands."""
import os
import subprocess
import sys

import pytest


def hotline(tmp_path, *args, input_text=None):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")}
    env["HOTLINE_INSTANCE_DIR"] = str(tmp_path / "instance")
    return subprocess.run([sys.executable, "-m", "hotline.cli", *args], capture_output=True, text=True,
                          env=env, cwd=str(tmp_path), input=input_text, timeout=120)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    """A folder where `hotline demo --no-serve` ran once, as on a fresh machine."""
    path = tmp_path_factory.mktemp("fresh")
    result = hotline(path, "demo", "--no-serve")
    assert result.returncode == 0, result.stderr
    assert "/console/" in result.stdout and "agent-demo-2021" in result.stdout and "/ivr/voice" in result.stdout
    return path


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
    assert purge.returncode == 0 and "would delete: 0 people" in purge.stdout


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
