"""Twilio's REST API for tests: Prism serving Twilio's OpenAPI document (contract checked on every request).

Prism (npm @stoplight/prism-cli, installed into .ci/prism by .ci/run) answers a
request that breaks the document with HTTP 422, which the twilio client raises:
so any request of ours that breaks the contract fails its test.
"""
from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PRISM = REPO / ".ci" / "prism" / "node_modules" / ".bin" / "prism"
ACCOUNT_SID = "AC" + "0" * 32


def twilio_openapi() -> Path | None:
    """../shared/twilio/twilio_api_v2010.json beside the repo (or beside the folder of worktrees)."""
    if os.environ.get("HOTLINE_TWILIO_OPENAPI"):
        return Path(os.environ["HOTLINE_TWILIO_OPENAPI"])
    for base in (REPO.parent, REPO.parent.parent):
        candidate = base / "shared" / "twilio" / "twilio_api_v2010.json"
        if candidate.is_file():
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_prism(spec: Path, log_path: Path, timeout: float = 90) -> tuple[subprocess.Popen, str]:
    """Start `prism mock` on a free port and wait until it answers; returns the process and its URL."""
    port = free_port()
    log = open(log_path, "w")
    proc = subprocess.Popen([str(PRISM), "mock", "-p", str(port), "-h", "127.0.0.1", str(spec)],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"prism exited with {proc.returncode}; see {log_path}")
        try:
            urllib.request.urlopen(url + "/2010-04-01/Accounts.json", timeout=1)
            return proc, url
        except urllib.error.HTTPError:
            return proc, url  # it answers (401/4xx is an answer)
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"prism did not start within {timeout} s; see {log_path}")
