"""Metrics: the parts that own a figure register a collector; /metrics (hotline.health) serves them."""
from __future__ import annotations

from flask import Flask


def add_metrics(app: Flask, collect) -> None:
    """Register a function returning Prometheus text lines."""
    app.extensions.setdefault("hotline.metrics", []).append(collect)
