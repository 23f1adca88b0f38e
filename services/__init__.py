"""services: what the channels share, below them.

- db.py          the request's session (one unit of work: `with db.session().begin():`)
- runtime.py     the settings, policy and job sessions the composition root configured
- queueing.py    job dispatch after commit: rq with Redis, else a runner thread after the request
- jobs/          the jobs: sending the outbox (which sends itself after commit), periodic jobs, the worker
- twilio_auth.py the one Twilio signature check of every route Twilio calls
- metrics.py     Prometheus figures
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire the services to one app: its database, its settings for jobs, its job queue."""
    from services import db, metrics, queueing, runtime
    from services.jobs import sending  # noqa: F401 - registers the outbox's send-after-commit hook

    db.init_app(app)
    runtime.configure(app.config, app.extensions["services.db"].sessions)
    queueing.configure(app.config["REDIS_URL"])
    metrics.init_app(app)
