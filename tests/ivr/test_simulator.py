"""`hotline call`: a scripted, signed call against the demo data; a wrong expectation exits non-zero."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ivr.simulator import parse_script
from tests.hotline import support as cli
from tests.ivr.support import SIMULATOR_ENV

EXAMPLE = Path(__file__).resolve().parents[2] / "ivr" / "scripts" / "book_demo.txt"


def hotline(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """`hotline ARGS` in the folder, with the simulator's webhook token and public URL."""
    return cli.hotline(folder, *args, **SIMULATOR_ENV)


def test_example_script_books_on_the_demo_data(sim_demo_dir):
    result = hotline(sim_demo_dir, "call", "--script", str(EXAMPLE))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "script passed" in result.stdout and "Ihr Termin ist gebucht" in result.stdout


def test_the_invitation_script_hears_the_vaccine_in_the_offer_and_the_read_back(sim_demo_dir):
    """The demo list's code admits Erika Mustermann (62) into group 1; she asks for another vaccine."""
    result = hotline(sim_demo_dir, "call", "--script", str(EXAMPLE.with_name("invitation_demo.txt")))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("Geimpft wird mit Johnson & Johnson") >= 2


def test_a_changed_prompt_makes_the_script_fail(sim_demo_dir, tmp_path):
    script = tmp_path / "wrong.txt"
    script.write_text("expect: Willkommen\npress: 1\nexpect: Guten Morgen und herzlich willkommen\n", encoding="utf-8")
    result = hotline(sim_demo_dir, "call", "--script", str(script))
    assert result.returncode == 1 and "expected 'Guten Morgen" in result.stderr


def test_script_lines_are_checked():
    assert parse_script("# comment\npress: #\nsay: Erna Schmidt\nsilence\n") == [
        ("press", "#"), ("say", "Erna Schmidt"), ("silence", "")]
    with pytest.raises(ValueError, match="line 1"):
        parse_script("dance: 1")


def test_simulator_against_a_running_server(app, ivr_world):
    """--url: real HTTP to a server thread; the signature is for the public URL, as behind a proxy."""
    import threading

    from werkzeug.serving import make_server

    from ivr.simulator import Call, http_transport
    from tests.ivr.support import PUBLIC_URL, TOKEN

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
