"""Selecting, running, printing and storing benchmarks."""
from __future__ import annotations

import importlib
from collections.abc import Callable

from bench.core import REGISTRY, Result, Settings, Unavailable, render, write

MODULES = ("contention", "ivr_steps", "overload", "booking_day", "hosts")


def load_all() -> dict:
    """Import every benchmark module so they register themselves; skip ones not built yet."""
    for name in MODULES:
        try:
            importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"bench.{name}":
                raise
    return REGISTRY


def run_selected(names: list[str], size: str, overrides: dict | None = None,
                 echo: Callable[[str], None] = print, settings: Settings | None = None) -> list[Result]:
    """Run the named benchmarks (all when none named), print each report and write its JSON."""
    registry = load_all()
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(registry)}")
    settings = settings or Settings(size=size, overrides=overrides or {})
    results = []
    for name in names or list(registry):
        try:
            result = registry[name](settings)
        except Unavailable as why:
            echo(f"== {name} skipped: {why}")
            continue
        path = write(result, settings.results_dir)
        echo(render(result))
        echo(f"  written   {path}")
        results.append(result)
    return results
