"""Queue wiring: rq on Redis when REDIS_URL is set, otherwise jobs run in-process after commit.

Jobs are enqueued only after the transaction that wrote their rows commits, so
a fast worker never looks for a row that is not there yet; a rollback drops them.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from shared_db.session import make_engine, make_sessionmaker

log = logging.getLogger(__name__)

QUEUE_NAME = "hotline"
_state: dict[str, Any] = {"sessions": None, "redis_url": None, "queue": None, "database_url": None}


def configure(database_url: str, redis_url: str | None, queue_name: str = QUEUE_NAME) -> None:
    """Set the database and queue that jobs use (called by create_app and by the worker)."""
    if _state["database_url"] != database_url:
        _state["sessions"] = make_sessionmaker(make_engine(database_url))
        _state["database_url"] = database_url
    _state["redis_url"] = redis_url
    _state["queue"] = _make_queue(redis_url, queue_name) if redis_url else None


def _make_queue(redis_url: str, name: str):
    from redis import Redis
    from rq import Queue
    from rq.serializers import JSONSerializer

    connection = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)
    return Queue(name, connection=connection, serializer=JSONSerializer)


def job_sessions() -> sessionmaker[Session]:
    """The sessionmaker jobs open their own sessions from."""
    if _state["sessions"] is None:
        import os

        from hotline.config import Config

        configure(Config().DATABASE_URL, os.environ.get("REDIS_URL") or None)
    return _state["sessions"]


def queue():
    """The rq queue, or None when jobs run in-process."""
    return _state["queue"]


def enqueue(func: Callable, *args, **options) -> None:
    """Hand a job to rq, or run it here when there is no Redis; a Redis outage is logged, not raised.

    Nothing is lost when Redis is down: the outbox sweep finds unsent rows later.
    """
    q = queue()
    if q is None:
        _run_inline(func, args)
        return
    try:
        q.enqueue(func, *args, **options)
    except Exception as exc:  # redis down: the sweep re-enqueues from the database
        log.warning("could not enqueue %s: %s", getattr(func, "__name__", func), exc.__class__.__name__)


def _run_inline(func: Callable, args: tuple) -> None:
    try:
        func(*args)
    except Exception:
        log.exception("in-process job %s failed", getattr(func, "__name__", func))


def after_commit(session: Session, func: Callable, *args, **options) -> None:
    """Enqueue `func(*args)` once the session's current transaction commits."""
    session.info.setdefault("hotline_after_commit", []).append((func, args, options))


@event.listens_for(Session, "after_commit")
def _run_deferred(session: Session) -> None:
    for func, args, options in session.info.pop("hotline_after_commit", []):
        enqueue(func, *args, **options)


@event.listens_for(Session, "after_transaction_end")
def _drop_deferred(session: Session, transaction) -> None:
    """An outermost transaction that ended without commit drops its jobs; a savepoint's end does not."""
    if transaction.parent is None:
        session.info.pop("hotline_after_commit", None)
