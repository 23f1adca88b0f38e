"""`hotline call`: a scripted, signed call against the demo data; a wrong expectation exits non-zero."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ivr.simulator import parse_script
from tests.ivr_support import sessions_of, world  # noqa: F401 - fixtures

EXAMPLE = Path(__file__).resolve().parents[1] / "ivr" / "scripts" / "book_demo.txt"


def hotline(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")}
    env.update(HOTLINE_INSTANCE_DIR=str(folder / "instance"), TWILIO_AUTH_TOKEN="sim-token",
               HOTLINE_PUBLIC_URL="https://hotline.example.org")
    return subprocess.run([sys.executable, "-m", "hotline.cli", *args], capture_output=True, text=True, env=env,
                          cwd=str(folder), timeout=120)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sim")
    assert hotline(folder, "demo", "--no-serve").returncode == 0
    return folder


def test_example_script_books_on_the_demo_data(demo):
    result = hotline(demo, "call", "--script", str(EXAMPLE))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "script passed" in result.stdout and "Ihr Termin ist gebucht" in result.stdout


def test_a_changed_prompt_makes_the_script_fail(demo, tmp_path):
    script = tmp_path / "wrong.txt"
    script.write_text("expect: Willkommen\npress: 1\nexpect: Guten Morgen und herzlich willkommen\n", encoding="utf-8")
    result = hotline(demo, "call", "--script", str(script))
    assert result.returncode == 1 and "expected 'Guten Morgen" in result.stderr


def test_script_lines_are_checked():
    assert parse_script("# comment\npress: #\nsay: Erna Schmidt\nsilence\n") == [
        ("press", "#"), ("say", "Erna Schmidt"), ("silence", "")]
    with pytest.raises(ValueError, match="line 1"):
        parse_script("dance: 1")


def test_simulator_against_a_running_server(app, world):
    """--url: real HTTP to a server thread; the signature is for the public URL, as behind a proxy."""
    import threading

    from werkzeug.serving import make_server

    from ivr.simulator import Call, http_transport
    from tests.ivr_support import PUBLIC_URL, TOKEN

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        call = Call(http_transport(f"http://127.0.0.1:{server.server_port}"), PUBLIC_URL, TOKEN)
        assert "Willkommen" in call.dial().heard()
        assert "Hauptmenü" in call.press("1").heard()
        forged = Call(http_transport(f"http://127.0.0.1:{server.server_port}"), PUBLIC_URL, "wrong-token")
        with pytest.raises(Exception, match="HTTP 403"):
            forged.dial()
        call.hang_up()
    finally:
        server.shutdown()
        thread.join(5)
