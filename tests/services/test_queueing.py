"""Jobs are handed over only after the transaction that wrote their rows commits."""
import pytest
from sqlalchemy import text

from services import queueing


def test_job_runs_after_commit(inline_sessions):
    ran = []
    with inline_sessions.begin() as s:
        queueing.after_commit(s, ran.append, "sent")
        assert ran == []  # not before the commit
    assert ran == ["sent"]


def test_rollback_drops_the_job(inline_sessions):
    ran = []
    with pytest.raises(RuntimeError), inline_sessions.begin() as s:
        queueing.after_commit(s, ran.append, "sent")
        raise RuntimeError
    with inline_sessions.begin():
        pass
    assert ran == []


def test_a_rolled_back_savepoint_keeps_the_outer_transactions_jobs(inline_sessions):
    ran = []
    with inline_sessions.begin() as s:
        queueing.after_commit(s, ran.append, "sent")
        with pytest.raises(ValueError), s.begin_nested():
            s.execute(text("select 1"))
            raise ValueError
    assert ran == ["sent"]


def test_a_failing_inline_job_does_not_break_the_caller(inline_sessions):
    def broken():
        raise RuntimeError("provider down")

    with inline_sessions.begin() as s:
        queueing.after_commit(s, broken)
