"""How an agent can reach a person: every number we know them by, and the messages sent about their bookings.

Queries only (the person page's read side), plus `resend`, which writes a copy of a
message to another number through the outbox (sent after the commit) and audits it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from shared_db import audit
from shared_db.errors import InvalidInput
from shared_db.messages import outbox
from shared_db.models import Booking, Notification, Person
from shared_db.people.identity import mask_phone, normalise_phone
from shared_db.types import utcnow


@dataclass(frozen=True)
class KnownNumber:
    """A number in E.164 and where we have it from: own (the person's), booked_from, messaged."""

    e164: str
    sources: tuple[str, ...]


def known_numbers(person: Person, bookings: list[Booking], messages: list[Notification]) -> list[KnownNumber]:
    """The person's own number first, then the numbers bookings were made from, then those messages went to."""
    found: dict[str, list[str]] = {}
    candidates = [(person.phone, "own")] + [(b.caller_number, "booked_from") for b in bookings]
    candidates += [(m.to_number, "messaged") for m in messages]
    for number, source in candidates:
        if number and source not in found.setdefault(number, []):
            found[number].append(source)
    return [KnownNumber(number, tuple(sources)) for number, sources in found.items()]


def messages_about(session: Session, person_id: int, booking_ids: list[int], limit: int = 100) -> list[Notification]:
    """Messages to the person or about their bookings, newest first."""
    return list(session.scalars(
        select(Notification).where(or_(Notification.person_id == person_id,
                                       Notification.booking_id.in_(booking_ids or [-1])))
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def failed_on(session: Session, start: datetime, end: datetime, limit: int = 200) -> list[Notification]:
    """Messages that finally failed, created in [start, end), newest first (the supervisors' list of the day)."""
    return list(session.scalars(
        select(Notification).where(Notification.status == "failed", Notification.created_at >= start,
                                   Notification.created_at < end)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def resend(session: Session, notification_id: int, to_number: str, actor: str,
           now: datetime | None = None) -> Notification:
    """Send a message again, as SMS, to a (maybe other) number; audited on the person without the number."""
    original = session.get(Notification, notification_id)
    if original is None:
        raise InvalidInput("notification_id", "no such message")
    number = normalise_phone(to_number)
    copy = outbox.add(session, kind=original.kind, to_number=number, body=original.body, language=original.language,
                      booking_id=original.booking_id, person_id=original.person_id, due_at=now or utcnow())
    if original.person_id is not None:
        audit.record(session, actor, "person", original.person_id, "message_resent",
                     after={"notification_id": copy.id, "of": original.id, "to": mask_phone(number)})
    return copy
