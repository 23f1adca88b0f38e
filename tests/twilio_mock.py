"""Twilio's REST API for tests: Prism serving Twilio's OpenAPI document (contract checked on every request).

Prism (npm @stoplight/prism-cli, installed into .ci/prism by .ci/run) answers a
request that breaks the document with HTTP 422, which the twilio client raises:
so any request of ours that breaks the contract fails its test. The document
itself comes from Twilio's npm package @twilio-alpha/mcp, pinned beside Prism in
.ci/prism/package.json: every test finds it through `twilio_openapi()` here.
"""
from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from tests.real_services import unavailable

REPO = Path(__file__).resolve().parent.parent
NODE_MODULES = REPO / ".ci" / "prism" / "node_modules"
PRISM = NODE_MODULES / ".bin" / "prism"
# Twilio publishes its OpenAPI documents in npm packages; this one is pinned in .ci/prism/package.json,
# so the contract is the same on every clone and changes only with a reviewed version bump.
TWILIO_OPENAPI = NODE_MODULES / "@twilio-alpha" / "mcp" / "twilio-oai" / "spec" / "json" / "twilio_api_v2010.json"
INSTALL = "run `npm ci --prefix .ci/prism` in the repository root"
ACCOUNT_SID = "AC" + "0" * 32


def installed(path: Path, what: str) -> Path:
    """`path` from .ci/prism's npm packages, or the test is skipped (failed in CI) saying how to install them."""
    if not path.is_file():
        # pytest's skip/fail is a BaseException: code under test that catches OSError cannot swallow it
        unavailable(what, FileNotFoundError(f"{path} is missing: {INSTALL}"))
    return path


def twilio_openapi() -> Path:
    """Twilio's OpenAPI document (twilio_api_v2010.json) from the pinned npm package in .ci/prism."""
    return installed(TWILIO_OPENAPI, "Twilio OpenAPI document")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_prism(spec: Path, log_path: Path, timeout: float = 90) -> tuple[subprocess.Popen, str]:
    """Start `prism mock` on a free port and wait until it answers; returns the process and its URL."""
    prism = installed(PRISM, "Prism")
    port = free_port()
    log = open(log_path, "w")
    proc = subprocess.Popen([str(prism), "mock", "-p", str(port), "-h", "127.0.0.1", str(spec)],
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
