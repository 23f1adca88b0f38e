"""Every benchmark runs once at smoke size: it produces its figures and its invariant checks pass.

Speed is not asserted here (figures drift on shared machines); bench/ reports it.
"""
from __future__ import annotations

import json

import pytest

from bench.runner import load_all, run_selected

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.mark.parametrize("name", sorted(load_all()))
def test_benchmark_runs_at_smoke_size(name, bench_settings):
    lines = []
    results = run_selected([name], "smoke", echo=lines.append, settings=bench_settings)
    if not results:
        pytest.skip(lines[0])  # the part it measures has not landed on this branch yet
    [result] = results
    assert result.figures and result.baseline and result.ratios, "figures, baseline and ratio are reported"
    assert all(isinstance(v, (int, float)) and v > 0 for v in result.ratios.values())
    assert result.checks and result.ok, result.checks
    stored = json.loads((bench_settings.results_dir / f"{name}-smoke-latest.json").read_text())
    assert stored["figures"] == json.loads(json.dumps(result.figures, default=str))
    assert stored["checks_passed"] is True
    assert any("invariants OK" in line for line in lines)


def test_unknown_benchmark_is_refused(bench_settings):
    with pytest.raises(SystemExit, match="unknown benchmark"):
        run_selected(["no-such-bench"], "smoke", settings=bench_settings)


def test_hotline_bench_command(bench_settings, tmp_path):
    """`hotline bench NAME --size smoke --set k=v` runs, prints the report and writes JSON."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "HOTLINE_BENCH_PG": bench_settings.pg_admin_url, "HOTLINE_BENCH_RESULTS": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "hotline.cli", "bench", "contention", "--size", "smoke",
                           "--set", "attempts=3"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "attempts_per_process=3" in done.stdout and "invariants OK" in done.stdout
    assert json.loads((tmp_path / "contention-smoke-latest.json").read_text())["params"]["attempts_per_process"] == 3
