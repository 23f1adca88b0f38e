"""Retention: personal data is deleted on schedule; anonymous counts stay.

A person is purged when they have no active booking, their registration is
older than the retention period (14 days by default, CONTEXT.md), and any
appointment they had lies more than `after_appointment_days` in the past.
Bookings stay, without a person or a number, so the counts remain true.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from shared_db import clock
from shared_db.models import (
    ACTIVE_STATUSES,
    Booking,
    CallbackRequest,
    CallSession,
    Notification,
    OpeningNotice,
    Person,
    PurgeRecord,
    QueueEntry,
    Slot,
)
from shared_db.types import utcnow

CALL_DATA_DAYS = 14  # call logs hold numbers: kept as long as a registration


@dataclass
class PurgeReport:
    people: int = 0
    bookings: int = 0
    notifications: int = 0
    call_sessions: int = 0
    dry_run: bool = False


def purgeable_people(session: Session, now: datetime, after_appointment_days: int) -> list[int]:
    """Ids of people whose personal data is due for deletion."""
    active = select(Booking.person_id).where(Booking.status.in_(ACTIVE_STATUSES), Booking.person_id.isnot(None))
    last_appointment = (select(Booking.person_id, func.max(Slot.starts_at).label("last"))
                        .join(Slot, Slot.id == func.coalesce(Booking.second_slot_id, Booking.first_slot_id))
                        .where(Booking.person_id.isnot(None), Booking.status.in_(("completed", "no_show")))
                        .group_by(Booking.person_id).subquery())
    query = (select(Person.id, last_appointment.c.last)
             .outerjoin(last_appointment, last_appointment.c.person_id == Person.id)
             .where(Person.retention_until <= clock.today(now), Person.id.not_in(active)))
    cutoff = now - timedelta(days=after_appointment_days)
    return [pid for pid, last in session.execute(query) if last is None or last <= cutoff]


def purge(session: Session, now: datetime | None = None, after_appointment_days: int = 30,
          dry_run: bool = False) -> PurgeReport:
    """Delete due personal data (or only count it with `dry_run`) and record the counts."""
    now = now or utcnow()
    ids = purgeable_people(session, now, after_appointment_days)
    call_cutoff = now - timedelta(days=CALL_DATA_DAYS)
    report = PurgeReport(people=len(ids), dry_run=dry_run)
    report.bookings = session.scalar(select(func.count()).select_from(Booking).where(Booking.person_id.in_(ids))) or 0
    report.notifications = session.scalar(select(func.count()).select_from(Notification).where(
        Notification.person_id.in_(ids), Notification.status != "pending")) or 0
    report.call_sessions = session.scalar(select(func.count()).select_from(CallSession).where(
        CallSession.started_at < call_cutoff)) or 0
    if dry_run:
        return report
    session.execute(delete(Notification).where(Notification.person_id.in_(ids), Notification.status != "pending"))
    session.execute(update(Booking).where(Booking.person_id.in_(ids)).values(person_id=None, caller_number=None))
    session.execute(delete(Person).where(Person.id.in_(ids)))
    session.execute(delete(CallSession).where(CallSession.started_at < call_cutoff))
    session.execute(update(QueueEntry).where(QueueEntry.enqueued_at < call_cutoff).values(from_number=None))
    session.execute(delete(CallbackRequest).where(CallbackRequest.requested_at < call_cutoff,
                                                  CallbackRequest.status.in_(("done", "given_up"))))
    # "Tell me when my group opens" holds a number and a birth date: gone once answered or withdrawn.
    session.execute(delete(OpeningNotice).where(OpeningNotice.status != "waiting",
                                                OpeningNotice.created_at < call_cutoff))
    session.add(PurgeRecord(at=now, people_deleted=report.people, bookings_anonymised=report.bookings,
                            notifications_deleted=report.notifications, call_sessions_deleted=report.call_sessions))
    session.flush()
    return report
