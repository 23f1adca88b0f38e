"""Running the same job in N processes that start together; wall time is measured from the start signal."""
from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable
from typing import Any

_CTX = mp.get_context("fork")  # children inherit imports; each opens its own connections


def _child(job: Callable, index: int, args: tuple, ready, go, results) -> None:
    try:
        prepared = job.prepare(index, *args) if hasattr(job, "prepare") else None
        ready.put(index)
        go.wait()
        results.put((index, job(index, prepared, *args)))
    except BaseException as exc:  # report, never hang the parent
        ready.put(index)
        results.put((index, {"error": f"{exc.__class__.__name__}: {exc}"}))


def run_parallel(job: Callable, processes: int, args: tuple = (), timeout: float = 600) -> tuple[list[Any], float]:
    """Run `job(index, prepared, *args)` in `processes` processes at once; results and wall seconds."""
    ready, go, results = _CTX.Queue(), _CTX.Event(), _CTX.Queue()
    children = [_CTX.Process(target=_child, args=(job, i, args, ready, go, results), daemon=True)
                for i in range(processes)]
    for child in children:
        child.start()
    for _ in children:
        ready.get(timeout=timeout)
    start = time.perf_counter()
    go.set()
    collected = [results.get(timeout=timeout) for _ in children]
    seconds = time.perf_counter() - start
    for child in children:
        child.join(timeout=10)
    errors = [r for _, r in collected if isinstance(r, dict) and "error" in r]
    if errors:
        raise RuntimeError(f"benchmark worker failed: {errors[0]['error']}")
    return [r for _, r in sorted(collected, key=lambda item: item[0])], seconds
