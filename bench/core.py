"""What every benchmark shares: settings, the result record, the registry, timing helpers."""
from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).parent / "results"
SIZES = ("smoke", "full")


@dataclass
class Settings:
    """Where a run finds its services and how big it is."""

    size: str = "smoke"
    pg_admin_url: str = field(default_factory=lambda: os.environ.get(
        "HOTLINE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    redis_url: str = field(default_factory=lambda: os.environ.get(
        "HOTLINE_BENCH_REDIS", "redis://127.0.0.1:6379/10"))
    results_dir: Path = field(default_factory=lambda: Path(os.environ.get("HOTLINE_BENCH_RESULTS", RESULTS_DIR)))
    overrides: dict[str, Any] = field(default_factory=dict)

    def pick(self, smoke, full, name: str | None = None):
        """The smoke or full value of a parameter, unless overridden by name."""
        if name and name in self.overrides:
            return type(full)(self.overrides[name])
        return smoke if self.size == "smoke" else full


@dataclass
class Result:
    """Figures of one benchmark run: ours, the baseline's, their ratio, and the invariant checks."""

    name: str
    size: str
    params: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    baseline: dict[str, Any] = field(default_factory=dict)
    ratios: dict[str, float] = field(default_factory=dict)
    targets: dict[str, Any] = field(default_factory=dict)
    checks: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every invariant check passed (speed targets are reported, not enforced)."""
        return all(_passed(v) for v in self.checks.values())

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "size": self.size, "machine": machine(), "when": now_iso(),
                "params": self.params, "figures": self.figures, "baseline": self.baseline,
                "ratios": self.ratios, "targets": self.targets, "checks": self.checks,
                "checks_passed": self.ok, "notes": self.notes}


def _passed(value) -> bool:
    """A check passes when it is True, an empty list of problems, or a zero count (False is not zero here)."""
    if isinstance(value, bool):
        return value
    return value == [] if isinstance(value, list) else value == 0


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def machine() -> dict[str, Any]:
    """The machine a figure was measured on: cores, load, Python."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"cpus": os.cpu_count(), "loadavg_1m": round(load[0], 2) if load else None,
            "python": platform.python_version(), "platform": platform.platform()}


def ratio(ours: float, bare: float) -> float:
    """Our figure as a share of the bare one (0 when the baseline measured nothing)."""
    return round(ours / bare, 3) if bare else 0.0


def percentiles(latencies: list[float]) -> dict[str, float]:
    """p50 and p99 of latencies in seconds, reported in milliseconds."""
    if not latencies:
        return {"p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    ordered = sorted(latencies)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50_ms": round(pick(0.50) * 1000, 2), "p99_ms": round(pick(0.99) * 1000, 2),
            "max_ms": round(ordered[-1] * 1000, 2), "mean_ms": round(statistics.fmean(ordered) * 1000, 2)}


class Stopwatch:
    """Wall time of a block."""

    def __enter__(self):
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *_exc):
        self.seconds = time.perf_counter() - self.start


class Unavailable(Exception):
    """A benchmark cannot run here yet (e.g. the part it measures has not landed); reported as skipped."""


REGISTRY: dict[str, Callable[[Settings], Result]] = {}


def benchmark(name: str):
    """Register a benchmark function `f(settings) -> Result` under a name."""
    def register(func):
        REGISTRY[name] = func
        return func
    return register


def write(result: Result, results_dir: Path) -> Path:
    """Store a result as JSON (one file per run, plus `<name>-latest.json`)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = results_dir / f"{result.name}-{result.size}-{stamp}.json"
    text = json.dumps(result.as_dict(), indent=2, default=str)
    path.write_text(text)
    (results_dir / f"{result.name}-{result.size}-latest.json").write_text(text)
    return path


def render(result: Result) -> str:
    """A short human-readable report of a result."""
    lines = [f"== {result.name} ({result.size})"]
    for title, values in (("params", result.params), ("ours", result.figures), ("baseline", result.baseline),
                          ("ratio", result.ratios), ("target", result.targets), ("checks", result.checks)):
        flat = {k: v for k, v in values.items() if not isinstance(v, dict)}
        if flat:
            lines.append(f"  {title:9} " + ", ".join(f"{k}={v}" for k, v in flat.items()))
        for key, nested in values.items():
            if isinstance(nested, dict):
                lines.append(f"  {title:9} [{key}] " + ", ".join(f"{k}={v}" for k, v in nested.items()))
    lines += [f"  note      {n}" for n in result.notes]
    lines.append(f"  invariants {'OK' if result.ok else 'FAILED'}")
    return "\n".join(lines)
