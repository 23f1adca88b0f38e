"""Jobs that send the outbox: one row per job, at most once, and a sweep so that none is lost.

The crash windows and what covers them:
- killed after the claim, before Twilio was called: the row stays 'sending'
  until its lease ends; the sweep asks Twilio, finds nothing, and sends again.
- killed after Twilio accepted, before we stored the sid: Twilio's status
  callback carries the row id and adopts the sid; failing that, the sweep finds
  the message in Twilio's list (same number, same text, after the claim) and
  stores its sid instead of sending again.
Only if Twilio's list also misses a message it accepted could it be sent twice:
without an idempotency key at the provider, that is the residue we accept
rather than ever dropping a confirmation.
"""
from __future__ import annotations

import logging
import os
from datetime import timedelta

from services import queueing
from services.jobs import notifier as notifiers
from shared_db.messages import outbox
from shared_db.models import Notification
from shared_db.people import mask_phone
from shared_db.types import utcnow

log = logging.getLogger(__name__)

# Twilio's list filter works on whole seconds and clocks differ a little: look back a bit further.
CLOCK_SLACK = timedelta(minutes=2)


def lease() -> timedelta:
    """How long a claim may take before the sweep presumes its worker dead (HOTLINE_SEND_LEASE_SECONDS)."""
    return timedelta(seconds=int(os.environ.get("HOTLINE_SEND_LEASE_SECONDS") or outbox.SEND_LEASE.total_seconds()))


def delays() -> tuple[int, ...]:
    """Backoff between attempts in seconds (HOTLINE_SEND_BACKOFF, e.g. "30,120,600")."""
    raw = os.environ.get("HOTLINE_SEND_BACKOFF")
    return tuple(int(x) for x in raw.split(",")) if raw else outbox.BACKOFF_SECONDS


def retry_policy():
    """rq Retry with the outbox's backoff; the database's due_at is still the authority."""
    from rq import Retry

    return Retry(max=len(delays()), interval=list(delays()))


def enqueue_send(notification_id: int) -> None:
    """Queue one send job (after commit: use `notify`/`queueing.after_commit` inside a transaction)."""
    queueing.enqueue(send_notification, notification_id, retry=retry_policy(), job_timeout=60)


def notify(session, booking, kind: str, due_at=None):
    """Write the outbox row announcing `booking` and send it once the transaction commits."""
    row = outbox.announce_booking(session, booking, kind, due_at=due_at)
    if row is not None and (due_at is None or due_at <= utcnow()):
        queueing.after_commit(session, send_notification, row.id, retry=retry_policy(), job_timeout=60)
    return row


def send_notification(notification_id: int) -> str:
    """Send one outbox row if it is due and nobody else has it; returns what became of it."""
    sessions = queueing.job_sessions()
    with sessions() as session, session.begin():
        row = outbox.claim(session, notification_id, lease=lease())
        if row is None:
            return "not due or already taken"
        session.expunge(row)  # keep the claimed values for the send, outside the transaction
    try:
        provider_id = notifiers.current().send(row, notifiers.callback_url(row.id))
    except notifiers.FinalSendError as exc:
        with sessions() as session, session.begin():
            outbox.fail(session, row.id, str(exc))
        log.warning("notification %s to %s failed for good: %s", row.id, mask_phone(row.to_number), exc)
        return "failed"
    except notifiers.TransientSendError as exc:
        with sessions() as session, session.begin():
            state = outbox.retry_later(session, row.id, str(exc), delays=delays())
        if state == "pending":
            raise  # rq retries with backoff; the sweep would too
        return state
    with sessions() as session, session.begin():
        outbox.mark_sent(session, row.id, provider_id)
    return "sent"


def sweep_outbox() -> dict[str, int]:
    """Re-enqueue due unsent rows and reconcile claims whose worker died; safe to run any time."""
    sessions = queueing.job_sessions()
    with sessions() as session, session.begin():
        due = outbox.due_ids(session)
        stale = [row.id for row in outbox.stale_claims(session)]
    for notification_id in due:
        enqueue_send(notification_id)
    recovered = sum(1 for notification_id in stale if recover_claim(notification_id))
    return {"enqueued": len(due), "stale": len(stale), "resent": recovered}


def recover_claim(notification_id: int) -> bool:
    """Settle a claim past its lease: adopt Twilio's sid if it has the message, else send again."""
    sessions = queueing.job_sessions()
    with sessions() as session, session.begin():
        row = session.get(Notification, notification_id)
        if row is None or row.status != "sending" or row.due_at > utcnow():
            return False  # settled meanwhile, or its worker may still be at it
        session.expunge(row)
    lease_end = row.due_at
    try:
        found = notifiers.current().find_sent(row, outbox.claimed_at(row, lease()) - CLOCK_SLACK)
    except (notifiers.TransientSendError, notifiers.FinalSendError) as exc:
        with sessions() as session, session.begin():
            outbox.extend_claim(session, row.id, lease=lease())  # cannot tell: never guess, ask again later
        log.warning("could not check notification %s at the provider: %s", row.id, exc)
        return False
    with sessions() as session, session.begin():
        if found:
            outbox.mark_sent(session, row.id, found)
            return False
        released = outbox.release_claim(session, row.id, lease_end)
    if released:
        enqueue_send(row.id)
    return released
