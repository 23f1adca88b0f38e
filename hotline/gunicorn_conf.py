"""gunicorn settings of the Procfile's web process (`gunicorn -c python:hotline.gunicorn_conf ...`).

Metrics under several workers: prometheus-client keeps each worker's figures in
PROMETHEUS_MULTIPROC_DIR (the Procfile sets it); the folder starts empty, and a
worker that exits is marked dead so its live gauges stop counting.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path


def on_starting(server) -> None:
    """Start with an empty metrics folder: figures of an earlier run must not be added to this one's."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")  # gunicorn's own process, before any app exists
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker) -> None:
    """A worker ended: prometheus-client forgets its live figures."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
