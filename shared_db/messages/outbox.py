"""Notification outbox: rows written in the same transaction as the change they announce.

Sending is the jobs' business (see hotline/jobs); here we only decide what to
say, to whom, and write it down, so that a commit and its message are one.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from shared_db.messages.texts import render
from shared_db.models import Booking, Notification
from shared_db.people import is_mobile
from shared_db.policy import DEFAULT_POLICY
from shared_db.types import utcnow


def add(session: Session, *, kind: str, to_number: str, body: str, language: str = "de",
        channel: str = "sms", booking_id: int | None = None, person_id: int | None = None,
        due_at: datetime | None = None, to_email: str | None = None) -> Notification:
    """Write one outgoing message into the outbox (sent after commit by the jobs); e-mail has to_number ''."""
    row = Notification(kind=kind, channel=channel, to_number=to_number, body=body, language=language,
                       booking_id=booking_id, person_id=person_id, due_at=due_at or utcnow(), to_email=to_email)
    session.add(row)
    session.flush()
    return row


# A new word about a booking's state makes its older unsent messages stale: the person hears only the latest.
STATE_KINDS = ("confirmation", "rebooked", "cancellation", "released", "moved_supply", "cancelled_supply")


def announce_booking(session: Session, booking: Booking, kind: str, due_at: datetime | None = None,
                     why: str | None = None, hotline: str = DEFAULT_POLICY.hotline_number) -> Notification | None:
    """Queue the SMS (mobile) or voice call (landline) that tells the person about their booking (and why)."""
    if kind in STATE_KINDS:
        supersede_unsent(session, booking.id)
    person = booking.person
    number, channel = recipient(booking) or (None, None)
    if not number:
        return None
    language = person.language if person else "de"
    body = render(kind, language, booking, channel, why=why, hotline=hotline)
    return add(session, kind=kind, to_number=number, body=body, language=language, channel=channel,
               booking_id=booking.id, person_id=person.id if person else None, due_at=due_at)


def recipient(booking: Booking) -> tuple[str, str] | None:
    """Whom a message about a booking goes to and how: (number, "sms" for a mobile or "voice"), or None."""
    number = (booking.person.phone if booking.person else None) or booking.caller_number
    if not number:
        return None
    return number, "sms" if is_mobile(number) else "voice"


def supersede_unsent(session: Session, booking_id: int) -> int:
    """Cancel the booking's messages that were not sent yet (a newer one replaces them); returns how many."""
    result = session.execute(
        update(Notification).where(Notification.booking_id == booking_id, Notification.status == "pending")
        .values(status="cancelled", last_error="superseded by a newer message").execution_options(
            synchronize_session=False))
    return result.rowcount


# --------------------------------------------------------------------------- the send state machine
#
# pending --claim--> sending --mark_sent--> sent --(status callback)--> delivered | failed
#    ^                  |  \--fail--> failed (final: bad number, too many attempts)
#    +--retry_later-----+   (backoff kept in due_at, so the sweep honours it too)
#
# Every transition is one conditional UPDATE on the expected old status, so two
# workers (an rq retry and a sweep, or a job run twice) can never both send a row.
# While a row is 'sending', due_at holds the end of the claim's lease: a claim
# still 'sending' after its lease is presumed crashed and is reconciled by the sweep.

SEND_LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 6
BACKOFF_SECONDS = (30, 120, 600, 1800, 3600)
FINAL_STATES = ("delivered", "failed", "cancelled")


def backoff(attempts: int, delays: tuple[int, ...] = BACKOFF_SECONDS) -> timedelta:
    """Wait before attempt number `attempts + 1`."""
    return timedelta(seconds=delays[min(max(attempts, 1), len(delays)) - 1])


def _transition(session: Session, notification_id: int, old: tuple[str, ...], *conditions, **values) -> bool:
    result = session.execute(
        update(Notification).where(Notification.id == notification_id, Notification.status.in_(old), *conditions)
        .values(**values).execution_options(synchronize_session=False))
    return result.rowcount == 1


def claim(session: Session, notification_id: int, now: datetime | None = None,
          lease: timedelta = SEND_LEASE) -> Notification | None:
    """Take a due pending row for sending (one winner); None when it is not ours to send."""
    now = now or utcnow()
    won = _transition(session, notification_id, ("pending",), Notification.due_at <= now,
                      status="sending", attempts=Notification.attempts + 1, due_at=now + lease)
    return session.get(Notification, notification_id, populate_existing=True) if won else None


def claimed_at(row: Notification, lease: timedelta = SEND_LEASE) -> datetime:
    """When a 'sending' row was claimed (its lease end minus the lease)."""
    return row.due_at - lease


def mark_sent(session: Session, notification_id: int, provider_id: str, now: datetime | None = None) -> bool:
    """The provider accepted the message: store its id. False if someone else already did."""
    return _transition(session, notification_id, ("sending",), status="sent", provider_id=provider_id,
                       sent_at=now or utcnow(), last_error=None)


def retry_later(session: Session, notification_id: int, error: str, now: datetime | None = None,
                delays: tuple[int, ...] = BACKOFF_SECONDS) -> str:
    """A transient failure: back to pending after a backoff, or failed after too many attempts."""
    now = now or utcnow()
    row = session.get(Notification, notification_id, populate_existing=True)
    if row is None or row.status != "sending":
        return row.status if row else "missing"
    if row.attempts >= MAX_ATTEMPTS:
        fail(session, notification_id, f"gave up after {row.attempts} attempts: {error}", now)
        return "failed"
    _transition(session, notification_id, ("sending",), status="pending",
                due_at=now + backoff(row.attempts, delays), last_error=error[:300])
    return "pending"


def release_claim(session: Session, notification_id: int, lease_end: datetime) -> bool:
    """Give a crashed claim back to pending, only if it is still that very claim."""
    return _transition(session, notification_id, ("sending",), Notification.due_at == lease_end,
                       status="pending", due_at=utcnow(), last_error="claim expired; not found at provider")


def extend_claim(session: Session, notification_id: int, now: datetime | None = None,
                 lease: timedelta = SEND_LEASE) -> bool:
    """Keep a 'sending' row as it is for another lease (the provider could not be asked)."""
    return _transition(session, notification_id, ("sending",), due_at=(now or utcnow()) + lease)


def fail(session: Session, notification_id: int, error: str, now: datetime | None = None) -> bool:
    """A final failure (bad number, refused): recorded for supervisors, never retried."""
    return _transition(session, notification_id, ("pending", "sending"), status="failed", last_error=error[:300])


def due_ids(session: Session, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Pending rows whose time has come, oldest first."""
    query = (select(Notification.id).where(Notification.status == "pending", Notification.due_at <= (now or utcnow()))
             .order_by(Notification.due_at, Notification.id).limit(limit))
    return list(session.scalars(query))


def stale_claims(session: Session, now: datetime | None = None, limit: int = 100) -> list[Notification]:
    """Rows left 'sending' past their lease: the worker that claimed them presumably died."""
    query = (select(Notification).where(Notification.status == "sending", Notification.due_at <= (now or utcnow()))
             .order_by(Notification.due_at).limit(limit))
    return list(session.scalars(query))


def record_status(session: Session, notification_id: int, provider_id: str, provider_status: str,
                  error: str | None = None, now: datetime | None = None) -> str | None:
    """Apply a provider status callback; only moves forward. Returns the new status or None."""
    now = now or utcnow()
    row = session.get(Notification, notification_id, with_for_update=True, populate_existing=True)
    if row is None or (row.provider_id not in (None, provider_id)):
        return None
    if row.status in ("pending", "sending"):  # the worker died after the provider accepted: adopt its id
        row.status, row.provider_id, row.sent_at = "sent", provider_id, now
    if row.status != "sent":
        return row.status  # already final; callbacks can arrive out of order
    if provider_status in DELIVERED:
        row.status, row.delivered_at = "delivered", now
    elif row.channel == "voice" and provider_status in CALL_AGAIN and row.attempts < VOICE_ATTEMPTS:
        # Nobody picked up: call again later (a new call gets a new sid) rather than give up on the person.
        row.status, row.provider_id, row.sent_at = "pending", None, None
        row.due_at, row.last_error = now + CALL_AGAIN_AFTER * row.attempts, f"{provider_status}; calling again"
    elif provider_status in UNDELIVERED:
        row.status, row.last_error = "failed", f"{provider_status}: {error or 'no error code'}"[:300]
    session.flush()
    return row.status


DELIVERED = ("delivered", "completed", "read")
UNDELIVERED = ("undelivered", "failed", "busy", "no-answer", "canceled")
CALL_AGAIN = ("busy", "no-answer")
VOICE_ATTEMPTS = 3
CALL_AGAIN_AFTER = timedelta(minutes=20)


def failed_notifications(session: Session, limit: int = 100) -> list[Notification]:
    """Messages that finally failed, newest first: for the supervisors' console."""
    query = select(Notification).where(Notification.status == "failed").order_by(
        Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    return list(session.scalars(query))


def counts_by_status(session: Session) -> dict[str, int]:
    """How many outbox rows are in each status (for metrics and the wallboard)."""
    rows = session.execute(select(Notification.status, func.count()).group_by(Notification.status))
    return {status: count for status, count in rows}
