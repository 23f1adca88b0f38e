"""The phone line: call state, the agent queue, callback requests."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared_db.models.base import (
    Base,
    partial_unique_index,
)
from shared_db.types import UTCDateTime, utcnow


# --------------------------------------------------------------------------- calls, queue, callbacks
class CallSession(Base):
    """IVR call state, kept out of process memory so any web process can serve any step."""

    __tablename__ = "call_sessions"

    call_sid: Mapped[str] = mapped_column(String(40), primary_key=True)
    from_number: Mapped[str | None] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(5), default="de")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    step: Mapped[int] = mapped_column(Integer, default=0)
    # Key and answer of the last request, so a Twilio retry gets the same answer again.
    last_request_key: Mapped[str | None] = mapped_column(String(64))
    last_response: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_status: Mapped[str | None] = mapped_column(String(20))

class QueueEntry(Base):
    """One caller's wait in the agent queue: enqueue, dequeue, abandonment, wait time."""

    __tablename__ = "queue_entries"
    __table_args__ = (Index("ix_queue_waiting", "left_at", "enqueued_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(40), index=True)
    from_number: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5), default="de")
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # answered, abandoned, callback, error
    outcome: Mapped[str | None] = mapped_column(String(12))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

class CallbackRequest(Base):
    """A caller's request to be called back; keeps their original place in line."""

    __tablename__ = "callback_requests"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'claimed', 'done', 'given_up')", name="status"
        ),
        # One open request per number: duplicates are merged into it.
        partial_unique_index("uq_callback_open_number", "phone", where="status IN ('pending', 'claimed')"),
        Index("ix_callback_order", "status", "place_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5), default="de")
    reason: Mapped[str] = mapped_column(String(20), default="queue")  # queue, overload, group_open
    # The moment that decides the order: when the caller first joined the line.
    place_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str | None] = mapped_column(String(200))
    merged_count: Mapped[int] = mapped_column(Integer, default=0)
