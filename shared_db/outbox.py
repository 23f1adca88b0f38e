"""Notification outbox: rows written in the same transaction as the change they announce.

Sending is the jobs' business (see hotline/jobs); here we only decide what to
say, to whom, and write it down, so that a commit and its message are one.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from shared_db.messages import render
from shared_db.models import Booking, Notification
from shared_db.people import is_mobile
from shared_db.types import utcnow


def add(session: Session, *, kind: str, to_number: str, body: str, language: str = "de",
        channel: str = "sms", booking_id: int | None = None, person_id: int | None = None,
        due_at: datetime | None = None) -> Notification:
    """Write one outgoing message into the outbox (sent after commit by the jobs)."""
    row = Notification(kind=kind, channel=channel, to_number=to_number, body=body, language=language,
                       booking_id=booking_id, person_id=person_id, due_at=due_at or utcnow())
    session.add(row)
    session.flush()
    return row


def announce_booking(session: Session, booking: Booking, kind: str, due_at: datetime | None = None) -> Notification | None:
    """Queue the SMS (mobile) or voice call (landline) that tells the person about their booking."""
    person = booking.person
    number = (person.phone if person else None) or booking.caller_number
    if not number:
        return None
    language = person.language if person else "de"
    channel = "sms" if is_mobile(number) else "voice"
    body = render(kind, language, booking)
    return add(session, kind=kind, to_number=number, body=body, language=language, channel=channel,
               booking_id=booking.id, person_id=person.id if person else None, due_at=due_at)
