"""Counts for metrics and reports: bookings by status and channel, free places per pool, outbox backlog."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared_db.models import Booking, Notification, Slot


def bookings_by_status_and_channel(session: Session) -> dict[tuple[str, str], int]:
    """Number of bookings per (status, channel)."""
    rows = session.execute(select(Booking.status, Booking.channel, func.count())
                           .group_by(Booking.status, Booking.channel))
    return {(status, channel): count for status, channel, count in rows}


def free_places(session: Session, now: datetime) -> dict[tuple[str, str], int]:
    """Free places in future slots per (dose, pool)."""
    row_sets = session.execute(
        select(Slot.dose, func.sum(Slot.phone_capacity - Slot.phone_taken),
               func.sum(Slot.online_capacity - Slot.online_taken))
        .where(Slot.starts_at > now).group_by(Slot.dose))
    result = {}
    for dose, phone, online in row_sets:
        result[(dose, "phone")], result[(dose, "online")] = int(phone or 0), int(online or 0)
    return result


def outbox_backlog(session: Session) -> dict[str, int]:
    """Notifications per status."""
    return dict(session.execute(select(Notification.status, func.count()).group_by(Notification.status)).all())
