"""Idempotency-Key: the first answer to a keyed request is stored and replayed to every retry.

The record is written in the same transaction as the change it answers, and
same-key requests are serialised by a lock on the key, so two concurrent
retries make one booking: the second waits, then finds the first's record.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from online_api.problems import ApiProblem, as_problem
from shared_db import locks
from shared_db.errors import LedgerError
from shared_db.models import IdempotencyRecord
from shared_db.types import utcnow

Answer = tuple[int, dict | None]


def fingerprint(method: str, path: str, body) -> str:
    """Hash of what makes two requests the same request."""
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def run_once(session: Session, client_id: int, key: str | None, request_hash: str,
             operation: Callable[[], Answer]) -> tuple[Answer, bool]:
    """Run `operation` once per (client, key); returns its answer and whether it was replayed."""
    if key is None:
        return operation(), False
    locks.lock_key(session, f"idempotency:{client_id}:{key}")
    record = session.scalar(select(IdempotencyRecord).where(
        IdempotencyRecord.client_id == client_id, IdempotencyRecord.key == key))
    if record is not None:
        if record.request_hash != request_hash:
            raise ApiProblem("idempotency_key_reused", "this Idempotency-Key was used with a different request")
        return (record.status_code, json.loads(record.response_body)), True
    answer = _answer_of(session, operation)
    session.add(IdempotencyRecord(client_id=client_id, key=key, request_hash=request_hash,
                                  status_code=answer[0], response_body=json.dumps(answer[1]),
                                  created_at=utcnow()))
    session.flush()
    return answer, False


def _answer_of(session: Session, operation: Callable[[], Answer]) -> Answer:
    """The operation's answer; a refusal is an answer too, and its partial writes are undone."""
    try:
        with session.begin_nested():
            return operation()
    except (ApiProblem, LedgerError) as exc:
        problem = as_problem(exc)
        return problem.status, problem.body()

