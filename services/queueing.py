"""Job dispatch: rq on Redis when REDIS_URL is set, otherwise a job runner thread in this process.

Jobs are handed over only after the outermost transaction that asked for them
commits (a released savepoint is not a commit), so a worker never looks for a
row that is not there yet; a rollback drops them, and a rolled-back savepoint
drops the jobs asked for inside it.

On the embedded default (no Redis) a job never runs inside the request that
asked for it: jobs asked for during a web request wait until the request's
session is closed and its connection released, then go to one runner thread.
So a send never waits on the request's SQLite write lock, and a slow or failing
send never delays the caller's answer.
"""
from __future__ import annotations

import atexit
import logging
import queue as threads_queue
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from shared_db.session import inside

log = logging.getLogger(__name__)

QUEUE_NAME = "hotline"
_DEFERRED = "services.after_commit"
_state: dict[str, Any] = {"queue": None, "runner": None}


def configure(redis_url: str | None, queue_name: str = QUEUE_NAME) -> None:
    """Use rq on `redis_url`, or the in-process runner when it is None."""
    _state["queue"] = _make_queue(redis_url, queue_name) if redis_url else None


def _make_queue(redis_url: str, name: str):
    from redis import Redis
    from rq import Queue
    from rq.serializers import JSONSerializer

    connection = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)
    return Queue(name, connection=connection, serializer=JSONSerializer)


def queue():
    """The rq queue, or None when jobs run in-process."""
    return _state["queue"]


def enqueue(func: Callable, *args, **options) -> None:
    """Hand a job to rq, or to the in-process runner; a Redis outage is logged, not raised.

    Nothing is lost when Redis is down: the outbox sweep finds unsent rows later.
    """
    q = queue()
    if q is None:
        _hand_to_runner(func, args)
        return
    try:
        q.enqueue(func, *args, **options)
    except Exception as exc:  # redis down: the sweep re-enqueues from the database
        log.warning("could not enqueue %s: %s", getattr(func, "__name__", func), exc.__class__.__name__)


def after_commit(session: Session, func: Callable, *args, **options) -> None:
    """Enqueue `func(*args)` once the session's outermost transaction commits."""
    asked_in = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_DEFERRED, []).append((asked_in, func, args, options))


@event.listens_for(Session, "after_commit")
def _hand_over_committed(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released: the outer transaction can still roll back
    for _asked_in, func, args, options in session.info.pop(_DEFERRED, []):
        enqueue(func, *args, **options)


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction) -> None:
    """Jobs asked for inside a rolled-back (sub)transaction go with it; the outer ones stay."""
    kept = [job for job in session.info.get(_DEFERRED, []) if not inside(job[0], previous_transaction)]
    session.info[_DEFERRED] = kept


@event.listens_for(Session, "after_transaction_end")
def _drop_leftovers(session: Session, transaction) -> None:
    """An outermost transaction that ended without a commit leaves no jobs behind."""
    if transaction.parent is None:
        session.info.pop(_DEFERRED, None)



# --------------------------------------------------------------------------- the in-process runner


def _in_request() -> bool:
    try:
        from flask import has_request_context
    except ImportError:  # pragma: no cover - Flask is installed wherever the web app runs
        return False
    return has_request_context()


def _hand_to_runner(func: Callable, args: tuple) -> None:
    if _in_request():
        from flask import g

        g.setdefault("services_jobs", []).append((func, args))  # after the request's session is closed
        return
    runner().submit(func, args)


def release_request_jobs() -> None:
    """Give the jobs a web request asked for to the runner; called once its session is closed."""
    from flask import g

    for func, args in g.pop("services_jobs", []):
        runner().submit(func, args)


class Runner:
    """One daemon thread running in-process jobs in the order they were asked for."""

    def __init__(self) -> None:
        self.jobs: threads_queue.Queue = threads_queue.Queue()
        self.thread = threading.Thread(target=self._work, name="hotline-jobs", daemon=True)
        self.thread.start()

    def submit(self, func: Callable, args: tuple) -> None:
        """Run `func(*args)` on the runner thread, soon."""
        self.jobs.put((func, args))

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every job submitted so far has run; False if `timeout` passed first."""
        done = threading.Event()
        self.jobs.put((done.set, ()))
        return done.wait(timeout)

    def _work(self) -> None:
        while True:
            func, args = self.jobs.get()
            try:
                func(*args)
            except Exception:
                log.exception("in-process job %s failed", getattr(func, "__name__", func))
            finally:
                self.jobs.task_done()


_runner_lock = threading.Lock()


def runner() -> Runner:
    """The process's in-process job runner, started on first use."""
    with _runner_lock:
        if _state["runner"] is None:
            _state["runner"] = Runner()
        return _state["runner"]


def drain(timeout: float = 30.0) -> bool:
    """Wait for the in-process jobs submitted so far (tests, short-lived commands)."""
    return _state["runner"].drain(timeout) if _state["runner"] is not None else True


@atexit.register
def _finish_jobs_at_exit() -> None:
    """A command such as `hotline sweep` ends only after the sends it started (at most 30 s)."""
    if _state["runner"] is not None and not _state["runner"].drain(30.0):
        log.warning("in-process jobs still running at exit; the outbox sweep will finish them")
