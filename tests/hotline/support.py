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
    # This checkout's code, not whichever checkout the package was installed from in editable mode.
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, (str(REPO), environment.get("PYTHONPATH"))))
    environment.update(env)
    return subprocess.run([sys.executable, "-m", "hotline.cli", *args], capture_output=True, text=True,
                          env=environment, cwd=str(folder), input=input_text, timeout=120)


REPO = Path(__file__).resolve().parents[2]
EMBEDDED_TOKEN = "embedded-test-token"  # the auth token of the embedded test server


def scrape(client) -> dict[tuple[str, tuple], float]:
    """GET /metrics, parsed as Prometheus does: {(sample name, sorted label pairs): value}."""
    from prometheus_client.parser import text_string_to_metric_families

    response = client.get("/metrics")
    assert response.status_code == 200, response.get_data(as_text=True)
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for sample in family.samples}
