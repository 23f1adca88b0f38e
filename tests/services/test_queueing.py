"""Jobs are handed over only after the outermost transaction that asked for them commits."""
import threading

import pytest
from sqlalchemy import text

from services import queueing


def test_job_runs_after_commit(inline_sessions):
    ran = []
    with inline_sessions.begin() as s:
        queueing.after_commit(s, ran.append, "sent")
        queueing.drain()
        assert ran == []  # not before the commit
    queueing.drain()
    assert ran == ["sent"]


def test_rollback_drops_the_job(inline_sessions):
    ran = []
    with pytest.raises(RuntimeError), inline_sessions.begin() as s:
        queueing.after_commit(s, ran.append, "sent")
        raise RuntimeError
    with inline_sessions.begin():
        pass
    queueing.drain()
    assert ran == []


def test_a_rolled_back_savepoint_keeps_the_outer_transactions_jobs(inline_sessions):
    ran = []
    with inline_sessions.begin() as s:
        queueing.after_commit(s, ran.append, "sent")
        with pytest.raises(ValueError), s.begin_nested():
            s.execute(text("select 1"))
            raise ValueError
    queueing.drain()
    assert ran == ["sent"]


def test_a_rolled_back_savepoint_drops_the_jobs_asked_for_inside_it(inline_sessions):
    ran = []
    with inline_sessions.begin() as s:
        with pytest.raises(ValueError), s.begin_nested():
            s.execute(text("select 1"))
            queueing.after_commit(s, ran.append, "inside")
            raise ValueError
        queueing.after_commit(s, ran.append, "outside")
    queueing.drain()
    assert ran == ["outside"]


def test_a_released_savepoint_is_not_a_commit(inline_sessions):
    """The API's idempotent operations run in a savepoint: its release once ran the send inside the request."""
    ran = []
    with inline_sessions.begin() as s:
        with s.begin_nested():
            queueing.after_commit(s, ran.append, "sent")
        queueing.drain()
        assert ran == []  # the outer transaction still holds its locks and may roll back
    queueing.drain()
    assert ran == ["sent"]


def test_jobs_run_on_the_runner_thread_not_the_committing_one(inline_sessions):
    where = []
    with inline_sessions.begin() as s:
        queueing.after_commit(s, lambda: where.append(threading.current_thread().name))
    queueing.drain()
    assert where == ["hotline-jobs"]


def test_a_failing_inline_job_does_not_break_the_caller(inline_sessions):
    def broken():
        raise RuntimeError("provider down")

    ran = []
    with inline_sessions.begin() as s:
        queueing.after_commit(s, broken)
        queueing.after_commit(s, ran.append, "next")
    queueing.drain()
    assert ran == ["next"]  # the runner goes on after a failed job
