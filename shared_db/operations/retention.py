"""Retention: personal data is deleted on schedule by the rules of the catalogue; anonymous counts stay.

Each rule of `retention_catalogue.RULES` is one function here that deletes (or,
for a dry run, counts) what is due on a calendar day. Days are local days: a
value kept N days after day D is still there on D+N-1 and gone after the purge
of D+N. `purge(as_of=...)` answers for any day, so `hotline purge --as-of DATE
--dry-run` shows an auditor what would go then. Bookings stay, without person,
number or reason text, so the counts remain true.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from shared_db import clock
from shared_db.models import (
    ACTIVE_STATUSES,
    AuditEntry,
    Booking,
    CallbackRequest,
    CallSession,
    FreedCapacity,
    IdempotencyRecord,
    Invitation,
    Notification,
    OpeningNotice,
    Person,
    PersonNote,
    PurgeRecord,
    QueueEntry,
)
from shared_db.policy import DEFAULT_POLICY
from shared_db.types import utcnow

CALL_DATA_DAYS = 14  # call logs hold numbers: kept as long as a registration
MESSAGE_DAYS = 14  # a sent message's number and text, for questions about its delivery
CALLBACK_DAYS = 14
FREE_TEXT_DAYS = 14
INVITATION_DAYS = 90  # a facility's list serves its group's campaign window, then is sent again if needed
API_REPLAY_DAYS = 2  # the online API's retries come within minutes
FINAL_MESSAGE = ("sent", "delivered", "failed", "cancelled")
PURGE_TIME = time(2, 30)  # the nightly run (HOTLINE_PURGE_CRON); `as_of` days are purged as at this hour


@dataclass
class PurgeReport:
    people: int = 0
    bookings: int = 0
    notifications: int = 0
    call_sessions: int = 0
    dry_run: bool = False
    as_of: date | None = None
    rules: dict[str, int] = field(default_factory=dict)


def cutoff(day: date, days: int) -> datetime:
    """Values stamped before this moment are due on `day` under an N-day rule (kept days D .. D+N-1)."""
    return clock.start_of_day(day - timedelta(days=days - 1))


def purgeable_people(session: Session, day: date, ended_days: int) -> list[int]:
    """Ids of people due on `day`: no open booking, registration period over, last booking ended long enough ago."""
    open_booking = select(Booking.person_id).where(Booking.status.in_(ACTIVE_STATUSES), Booking.person_id.isnot(None))
    recently_ended = select(Booking.person_id).where(Booking.person_id.isnot(None),
                                                     Booking.ended_at >= cutoff(day, ended_days))
    query = select(Person.id).where(Person.retention_until <= day, Person.id.not_in(open_booking),
                                    Person.id.not_in(recently_ended)).order_by(Person.id)
    return list(session.scalars(query))


def _run(session: Session, statement, count_query, dry_run: bool) -> int:
    """Count what a statement would touch, and run it unless this is a dry run."""
    count = session.scalar(count_query) or 0
    if count and not dry_run:
        session.execute(statement.execution_options(synchronize_session=False))
    return count


def _count(model, *where):
    return select(func.count()).select_from(model).where(*where)


def purge_people(session: Session, day: date, ids: list[int], dry_run: bool) -> dict[str, int]:
    """Rule `person`, with what hangs on a person: their bookings' traces, messages and audit reasons."""
    if not ids:
        return {"person": 0, "booking_trace": 0, "message": 0, "free_text": 0}
    booking_ids = select(Booking.id).where(Booking.person_id.in_(ids))
    audit_where = or_(and_(AuditEntry.entity == "person", AuditEntry.entity_id.in_(ids)),
                      and_(AuditEntry.entity == "booking", AuditEntry.entity_id.in_(booking_ids)))
    counts = {
        "free_text": _run(session, update(AuditEntry).where(audit_where, AuditEntry.reason.isnot(None))
                          .values(reason=None), _count(AuditEntry, audit_where, AuditEntry.reason.isnot(None)),
                          dry_run),
        "message": _run(session, delete(Notification).where(Notification.person_id.in_(ids)),
                        _count(Notification, Notification.person_id.in_(ids)), dry_run),
        "booking_trace": _run(session, update(Booking).where(Booking.person_id.in_(ids))
                              .values(person_id=None, caller_number=None, cancel_reason=None),
                              _count(Booking, Booking.person_id.in_(ids)), dry_run),
    }
    _run(session, delete(PersonNote).where(PersonNote.person_id.in_(ids)),
         _count(PersonNote, PersonNote.person_id.in_(ids)), dry_run)
    counts["person"] = _run(session, delete(Person).where(Person.id.in_(ids)), _count(Person, Person.id.in_(ids)),
                            dry_run)
    return counts


def purge_orphan_bookings(session: Session, day: date, dry_run: bool) -> int:
    """Rule `booking_trace` for bookings that never had a person (lapsed holds): 14 days after they were made."""
    where = (Booking.person_id.is_(None), Booking.status != "held", Booking.created_at < cutoff(day, CALL_DATA_DAYS),
             or_(Booking.caller_number.isnot(None), Booking.cancel_reason.isnot(None)))
    return _run(session, update(Booking).where(*where).values(caller_number=None, cancel_reason=None),
                _count(Booking, *where), dry_run)


def purge_messages(session: Session, day: date, dry_run: bool) -> int:
    """Rule `message`: 14 days after due; notify-list notices once they are final."""
    where = or_(Notification.due_at < cutoff(day, MESSAGE_DAYS),
                and_(Notification.kind == "group_open", Notification.status.in_(FINAL_MESSAGE)))
    return _run(session, delete(Notification).where(where), _count(Notification, where), dry_run)


def purge_call_records(session: Session, day: date, dry_run: bool) -> int:
    """Rule `call_record`: call state and the queue's numbers, 14 days after the call."""
    limit = cutoff(day, CALL_DATA_DAYS)
    queued = (QueueEntry.enqueued_at < limit, QueueEntry.from_number.isnot(None))
    count = _run(session, update(QueueEntry).where(*queued).values(from_number=None), _count(QueueEntry, *queued),
                 dry_run)
    return count + _run(session, delete(CallSession).where(CallSession.started_at < limit),
                        _count(CallSession, CallSession.started_at < limit), dry_run)


def purge_callbacks(session: Session, day: date, dry_run: bool) -> int:
    """Rule `callback`: 14 days after due, whatever became of it; 'group opens' callbacks once finished."""
    due = func.coalesce(CallbackRequest.not_before, CallbackRequest.requested_at)
    where = or_(due < cutoff(day, CALLBACK_DAYS),
                and_(CallbackRequest.reason == "group_open", CallbackRequest.status.in_(("done", "given_up"))))
    return _run(session, delete(CallbackRequest).where(where), _count(CallbackRequest, where), dry_run)


def purge_opening_notices(session: Session, day: date, dry_run: bool) -> int:
    """Rule `callback` for 'tell me when my group opens' notices: once answered or withdrawn, 14 days after asking."""
    where = (OpeningNotice.status != "waiting", OpeningNotice.created_at < cutoff(day, CALLBACK_DAYS))
    return _run(session, delete(OpeningNotice).where(*where), _count(OpeningNotice, *where), dry_run)


def purge_invitations(session: Session, day: date, dry_run: bool) -> int:
    """Rule `invitation`: named invitations 90 days after import (codes name nobody and stay)."""
    where = (Invitation.created_at < cutoff(day, INVITATION_DAYS),
             or_(Invitation.name_key.isnot(None), Invitation.date_of_birth.isnot(None)))
    return _run(session, delete(Invitation).where(*where), _count(Invitation, *where), dry_run)


def purge_api_replays(session: Session, day: date, dry_run: bool) -> int:
    """Rule `api_replay`: stored answers of the online API, 2 days."""
    where = IdempotencyRecord.created_at < cutoff(day, API_REPLAY_DAYS)
    return _run(session, delete(IdempotencyRecord).where(where), _count(IdempotencyRecord, where), dry_run)


def purge_free_text(session: Session, day: date, dry_run: bool) -> int:
    """Rule `free_text`: fill-task outcomes and audit reasons not about a kept person's booking, after 14 days."""
    limit = cutoff(day, FREE_TEXT_DAYS)
    tasks = (FreedCapacity.created_at < limit, FreedCapacity.outcome.isnot(None))
    kept = or_(and_(AuditEntry.entity == "person", AuditEntry.entity_id.in_(select(Person.id))),
               and_(AuditEntry.entity == "booking",
                    AuditEntry.entity_id.in_(select(Booking.id).where(Booking.person_id.isnot(None)))))
    reasons = (AuditEntry.at < limit, AuditEntry.reason.isnot(None), ~kept)
    return (_run(session, update(FreedCapacity).where(*tasks).values(outcome=None), _count(FreedCapacity, *tasks),
                 dry_run)
            + _run(session, update(AuditEntry).where(*reasons).values(reason=None), _count(AuditEntry, *reasons),
                   dry_run))


def purge(session: Session, now: datetime | None = None, after_appointment_days: int | None = None,
          dry_run: bool = False, as_of: date | None = None) -> PurgeReport:
    """Apply every rule for the day of `now` (or `as_of`); record the counts unless it is a dry run."""
    now = now or utcnow()
    day = as_of or clock.today(now)
    ended_days = after_appointment_days if after_appointment_days is not None else \
        DEFAULT_POLICY.completed_retention_days
    ids = purgeable_people(session, day, ended_days)
    rules = purge_people(session, day, ids, dry_run)
    rules["booking_trace"] += purge_orphan_bookings(session, day, dry_run)
    rules["message"] += purge_messages(session, day, dry_run)
    rules["call_record"] = purge_call_records(session, day, dry_run)
    rules["callback"] = purge_callbacks(session, day, dry_run) + purge_opening_notices(session, day, dry_run)
    rules["invitation"] = purge_invitations(session, day, dry_run)
    rules["api_replay"] = purge_api_replays(session, day, dry_run)
    rules["free_text"] += purge_free_text(session, day, dry_run)
    report = PurgeReport(people=rules["person"], bookings=rules["booking_trace"], notifications=rules["message"],
                         call_sessions=rules["call_record"], dry_run=dry_run, as_of=day, rules=rules)
    if not dry_run:
        session.add(PurgeRecord(at=now, people_deleted=report.people, bookings_anonymised=report.bookings,
                                notifications_deleted=report.notifications, call_sessions_deleted=report.call_sessions,
                                details=rules))
        session.flush()
    return report


def purge_moment(day: date) -> datetime:
    """The nightly purge's moment on a local day."""
    return datetime.combine(day, PURGE_TIME, clock.zone())
