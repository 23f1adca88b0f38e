"""The outbox: messages to people, sent after the commit that wrote them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
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
)
from shared_db.types import UTCDateTime, utcnow


class Notification(Base):
    """Outbox row: written in the same transaction as the change it announces."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'delivered', 'failed', 'cancelled')",
            name="status",
        ),
        CheckConstraint("channel IN ('sms', 'voice', 'email')", name="channel"),
        Index("ix_notifications_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # confirmation, reminder, cancellation, group_open, reconfirm
    channel: Mapped[str] = mapped_column(String(5), default="sms")
    to_number: Mapped[str] = mapped_column(String(20))  # '' for e-mail
    to_email: Mapped[str | None] = mapped_column(String(254))  # channel 'email' only
    language: Mapped[str] = mapped_column(String(5), default="de")
    body: Mapped[str] = mapped_column(Text)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
