"""Run the `hotline` command in a folder of its own, as on a fresh machine (no database, Redis or secret
from the test environment; settings come from the folder's instance/hotline.env)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def hotline(folder: Path, *args: str, input_text: str | None = None, **env: str) -> subprocess.CompletedProcess:
    """`python -m hotline.cli ARGS` in `folder`; `env` adds environment variables (e.g. TWILIO_AUTH_TOKEN)."""
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")}
    environment["HOTLINE_INSTANCE_DIR"] = str(folder / "instance")
    environment.update(env)
    return subprocess.run([sys.executable, "-m", "hotline.cli", *args], capture_output=True, text=True,
                          env=environment, cwd=str(folder), input=input_text, timeout=120)


EMBEDDED_TOKEN = "embedded-test-token"  # the auth token of the embedded test server
