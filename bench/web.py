"""The real app and the bare app under the same gunicorn settings, driven by the same load."""
from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from xml.etree import ElementTree

from bench import server
from bench.loadgen import Script, run_load
from bench.server import BENCH_AUTH_TOKEN, GunicornSettings

LOG_DIR = Path(tempfile.gettempdir()) / "hotline-bench-logs"


def gunicorn_settings(size: str, overrides: dict) -> GunicornSettings:
    """Procfile settings at full size (4 workers x 4 threads); a small server for smoke runs."""
    workers = int(overrides.get("web_workers", 1 if size == "smoke" else 4))
    threads = int(overrides.get("web_threads", 4))
    return GunicornSettings(workers=workers, threads=threads, keepalive=int(overrides.get("web_keepalive", 0)))


@contextmanager
def serving(app: str, env: dict, settings: GunicornSettings) -> Iterator[server.Server]:
    """A gunicorn serving `app` for the duration of the block."""
    running = server.start(app, env, settings, LOG_DIR)
    try:
        yield running
    finally:
        running.stop()


def measure(app: str, env: dict, settings: GunicornSettings, script: Script, concurrency: int,
            duration_s: float, max_calls: int) -> dict:
    """Start `app`, drive it with `script`, stop it; the load summary."""
    return measure_levels(app, env, settings, script, [concurrency], duration_s, max_calls)[concurrency]


def measure_levels(app: str, env: dict, settings: GunicornSettings, script: Script, levels: list[int],
                   duration_s: float, max_calls: int, after=None) -> dict[int, dict]:
    """Start `app` once, drive it at each concurrency level in turn, call `after(server)`, stop it."""
    with serving(app, env, settings) as running:
        summaries = {c: run_load(running.base_url, BENCH_AUTH_TOKEN, script, c, duration_s, max_calls,
                                 first_number=i * CALLS_PER_LEVEL)
                     for i, c in enumerate(levels)}
        if after is not None:
            after(running)
        return summaries


CALLS_PER_LEVEL = 1_000_000  # numbering room per level: callers and people never repeat within a run
BARE_APP = "bench.bare_app:create_app()"
OUR_APP = "hotline:create_app()"


def call_params(number: int, **extra: str) -> dict[str, str]:
    """The form Twilio posts for an incoming call, with a unique CallSid and caller number."""
    return {"CallSid": "CA" + secrets.token_hex(16), "AccountSid": "AC" + "0" * 32,
            "From": f"+49151{number % 10**8:08d}", "To": "+4952112345678", "Caller": f"+49151{number % 10**8:08d}",
            "Called": "+4952112345678", "CallStatus": "ringing", "Direction": "inbound", "ApiVersion": "2010-04-01",
            "FromCountry": "DE", "ToCountry": "DE", **extra}


def twiml(body: str) -> ElementTree.Element | None:
    """The parsed TwiML <Response>, or None when the body is not TwiML."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None
    return root if root.tag == "Response" else None


def app_has_route(path: str) -> bool:
    """True when our app registers `path` (asked in-process, without a server or a database)."""
    from hotline import create_app
    from hotline.config import TestConfig

    app = create_app(TestConfig("sqlite://"))
    found = any(rule.rule == path for rule in app.url_map.iter_rules())
    app.extensions["services.db"].engine.dispose()
    return found
