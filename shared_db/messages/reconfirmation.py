"""Reminders and reconfirmation against phantom bookings: who is due for which message, and when.

Reconfirmation is off by default and switched on per centre
(centres.reconfirmation_enabled). About 48 h before the first appointment the
person is asked to confirm (reply JA by SMS, or press 1 on the call); a booking
still unconfirmed at the cut-off (24 h before, setting `reconfirmation`) is
released, but only if the request reached the provider long enough ago: a
message that could not be sent never costs anyone their appointment.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from shared_db import audit
from shared_db.models import Booking, Centre, Notification, Setting, Slot
from shared_db.types import utcnow

REMINDER_HOURS = 24


@dataclass(frozen=True)
class ReconfirmationPolicy:
    ask_hours: int = 48  # ask this long before the first appointment
    cutoff_hours: int = 24  # release unconfirmed bookings from this long before
    reply_hours: int = 6  # at least this long to answer after the request went out


def policy(session: Session) -> ReconfirmationPolicy:
    """The supervisors' reconfirmation setting, or the defaults."""
    row = session.get(Setting, "reconfirmation")
    values = row.value if row is not None and isinstance(row.value, dict) else {}
    fields = ReconfirmationPolicy.__dataclass_fields__
    return ReconfirmationPolicy(**{k: int(v) for k, v in values.items() if k in fields})


def _no_message(kind: str, after: datetime):
    """No message of this kind for the booking written since `after` (the window of this appointment)."""
    return ~exists().where(Notification.booking_id == Booking.id, Notification.kind == kind,
                           Notification.created_at >= after)


def _upcoming(now: datetime, hours: int):
    return (select(Booking).join(Slot, Slot.id == Booking.first_slot_id)
            .where(Booking.status == "confirmed", Booking.first_given_at.is_(None), Slot.starts_at > now,
                   Slot.starts_at <= now + timedelta(hours=hours)))


def due_reminders(session: Session, now: datetime | None = None, limit: int = 500) -> list[Booking]:
    """Confirmed bookings starting within a day that have not had their reminder."""
    now = now or utcnow()
    query = _upcoming(now, REMINDER_HOURS).where(_no_message("reminder", now - timedelta(days=2)))
    return list(session.scalars(query.order_by(Booking.id).limit(limit)))


def due_second_reminders(session: Session, now: datetime | None = None, limit: int = 500) -> list[Booking]:
    """Bookings whose second dose is within a day and that have not had its reminder."""
    now = now or utcnow()
    query = (select(Booking).join(Slot, Slot.id == Booking.second_slot_id)
             .where(Booking.status == "confirmed", Booking.second_given_at.is_(None), Slot.starts_at > now,
                    Slot.starts_at <= now + timedelta(hours=REMINDER_HOURS),
                    _no_message("reminder_second", now - timedelta(days=2))))
    return list(session.scalars(query.order_by(Booking.id).limit(limit)))


def due_requests(session: Session, now: datetime | None = None, limit: int = 500) -> list[Booking]:
    """Bookings at centres with reconfirmation on, inside the asking window, not yet asked or confirmed."""
    now = now or utcnow()
    rules = policy(session)
    query = (_upcoming(now, rules.ask_hours).join(Centre, Centre.id == Slot.centre_id)
             .where(Centre.reconfirmation_enabled.is_(True), Booking.reconfirmed_at.is_(None),
                    Slot.starts_at > now + timedelta(hours=rules.cutoff_hours),
                    _no_message("reconfirm", now - timedelta(hours=rules.ask_hours))))
    return list(session.scalars(query.order_by(Booking.id).limit(limit)))


def due_releases(session: Session, now: datetime | None = None, limit: int = 500) -> list[Booking]:
    """Bookings past the cut-off whose request went out in time and got no answer."""
    now = now or utcnow()
    rules = policy(session)
    asked = exists().where(Notification.booking_id == Booking.id, Notification.kind == "reconfirm",
                           Notification.status.in_(("sent", "delivered")),
                           Notification.sent_at <= now - timedelta(hours=rules.reply_hours),
                           Notification.created_at >= now - timedelta(hours=rules.ask_hours))
    query = (_upcoming(now, rules.cutoff_hours).join(Centre, Centre.id == Slot.centre_id)
             .where(Centre.reconfirmation_enabled.is_(True), Booking.reconfirmed_at.is_(None), asked))
    return list(session.scalars(query.order_by(Booking.id).limit(limit)))


def pending_for_number(session: Session, number: str, now: datetime | None = None) -> Booking | None:
    """The booking a reply from this number most likely answers: asked, unconfirmed, soonest."""
    now = now or utcnow()
    asked = exists().where(Notification.booking_id == Booking.id, Notification.kind == "reconfirm",
                           Notification.to_number == number)
    query = (select(Booking).join(Slot, Slot.id == Booking.first_slot_id)
             .where(and_(Booking.status == "confirmed", Booking.reconfirmed_at.is_(None), Slot.starts_at > now, asked))
             .order_by(Slot.starts_at).limit(1))
    return session.scalar(query)


def reconfirm(session: Session, booking_id: int, actor: str, now: datetime | None = None) -> Booking | None:
    """Record that the person confirmed; idempotent. None if the booking is no longer active."""
    booking = session.get(Booking, booking_id, with_for_update=True, populate_existing=True)
    if booking is None or booking.status != "confirmed":
        return None
    if booking.reconfirmed_at is None:
        before = audit.snapshot_booking(booking)
        booking.reconfirmed_at, booking.changed_by = now or utcnow(), actor
        audit.record(session, actor, "booking", booking.id, "reconfirmed", before, audit.snapshot_booking(booking))
        session.flush()
    return booking
