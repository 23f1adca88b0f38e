"""Races on real PostgreSQL connections: taking callers, claiming callbacks."""
from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from shared_db.calls import callbacks as callback_requests
from shared_db.calls import queue as queue_entries
from shared_db.models import CallbackRequest, QueueEntry, User
from shared_db.session import transaction
from shared_db.types import utcnow
from tests.agent_console.support import user_id

THREADS = 12


def run_at_once(target, args_list) -> None:
    barrier = threading.Barrier(len(args_list))

    def wrapped(*args):
        barrier.wait()
        target(*args)

    threads = [threading.Thread(target=wrapped, args=args) for args in args_list]
    [t.start() for t in threads]
    [t.join() for t in threads]


def many_agents(pg_sessions, count: int) -> list[int]:
    with transaction(pg_sessions) as s:
        users = [User(username=f"race{i}", display_name=f"Race {i}", role="agent", password_hash="-")
                 for i in range(count)]
        s.add_all(users)
        s.flush()
        return [u.id for u in users]


def test_agents_taking_next_at_once_never_get_the_same_caller(console, pg_sessions):
    with transaction(pg_sessions) as s:
        for i in range(THREADS // 2):
            s.add(QueueEntry(call_sid=f"CA{i:032d}", from_number="+4952100000000",
                             enqueued_at=utcnow() - timedelta(seconds=100 - i)))
    taken, agents = [], [user_id(console, "agent"), user_id(console, "agent2")]

    def take(agent_id: int) -> None:
        with transaction(pg_sessions) as s:
            entry = queue_entries.take_next(s, agent_id, utcnow())
            if entry is not None:
                taken.append(entry.id)

    run_at_once(take, [(agents[i % 2],) for i in range(THREADS)])
    assert len(taken) == THREADS // 2 and len(set(taken)) == len(taken)
    with transaction(pg_sessions) as s:
        assert s.scalar(select(func.count()).select_from(QueueEntry).where(QueueEntry.left_at.is_(None))) == 0


def test_claim_next_callback_at_once_gives_each_request_to_one_agent(console, pg_sessions):
    with transaction(pg_sessions) as s:
        for i in range(THREADS // 2):
            s.add(CallbackRequest(phone=f"+49521000000{i:02d}", place_at=utcnow() - timedelta(minutes=60 - i)))
    claimed = []

    def claim(agent_id: int) -> None:
        with transaction(pg_sessions) as s:
            row = callback_requests.claim_next(s, agent_id, utcnow())
            if row is not None:
                claimed.append((row.id, agent_id))

    # One thread per agent (an agent's own double click renews the claim it already has).
    run_at_once(claim, [(agent_id,) for agent_id in many_agents(pg_sessions, THREADS)])
    with transaction(pg_sessions) as s:
        rows = list(s.scalars(select(CallbackRequest)))
    holders = {r.id: r.claimed_by for r in rows}
    assert all(r.status == "claimed" for r in rows), [(r.id, r.status, r.claimed_by) for r in rows]
    by_row: dict[int, set[int]] = {}
    for row_id, agent_id in claimed:
        by_row.setdefault(row_id, set()).add(agent_id)
    assert all(len(agents_of_row) == 1 for agents_of_row in by_row.values()), by_row
    assert {row_id: next(iter(a)) for row_id, a in by_row.items()} == holders
