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
from datetime import timedelta

from sqlalchemy import event
from sqlalchemy.orm import Session

from services import queueing, runtime
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
    return timedelta(seconds=runtime.setting("SEND_LEASE_SECONDS") or outbox.SEND_LEASE.total_seconds())


def delays() -> tuple[int, ...]:
    """Backoff between attempts in seconds (HOTLINE_SEND_BACKOFF, e.g. "30,120,600")."""
    return tuple(runtime.setting("SEND_BACKOFF") or outbox.BACKOFF_SECONDS)


def _send_options() -> dict:
    """rq options of a send: Retry with the outbox's backoff (the database's due_at is still the authority)."""
    if queueing.queue() is None:
        return {}
    from rq import Retry

    return {"retry": Retry(max=len(delays()), interval=list(delays())), "job_timeout": 60}


def enqueue_send(notification_id: int) -> None:
    """Queue one send job now (the sweep's way; inside a transaction the outbox sends itself)."""
    queueing.enqueue(send_notification, notification_id, **_send_options())


@event.listens_for(Session, "pending_to_persistent")
def _send_after_commit(session: Session, obj) -> None:
    """The outbox sends itself: a message row that is due is sent once the transaction that wrote it commits.

    Every writer of outbox rows (IVR, API, console, fill tasks, phantom clean-up,
    jobs) gets this by writing the row; rows due later are the sweep's.
    """
    if (isinstance(obj, Notification) and obj.status == "pending" and obj.due_at <= utcnow()
            and runtime.serves(session)):
        queueing.after_commit(session, send_notification, obj.id, **_send_options())


def send_notification(notification_id: int) -> str:
    """Send one outbox row if it is due and nobody else has it; returns what became of it."""
    sessions = runtime.job_sessions()
    with sessions() as session, session.begin():
        row = outbox.claim(session, notification_id, lease=lease())
        if row is None:
            return "not due or already taken"
        session.expunge(row)  # keep the claimed values for the send, outside the transaction
    try:
        provider_id = notifiers.for_row(row).send(row, notifiers.callback_url(row.id))
    except notifiers.FinalSendError as exc:
        with sessions() as session, session.begin():
            outbox.fail(session, row.id, str(exc))
        log.warning("notification %s to %s failed for good: %s", row.id, mask_phone(row.to_number) if row.to_number
                    else "an e-mail address", exc)
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
    sessions = runtime.job_sessions()
    with sessions() as session, session.begin():
        due = outbox.due_ids(session)
        stale = [row.id for row in outbox.stale_claims(session)]
    for notification_id in due:
        enqueue_send(notification_id)
    recovered = sum(1 for notification_id in stale if recover_claim(notification_id))
    return {"enqueued": len(due), "stale": len(stale), "resent": recovered}


def recover_claim(notification_id: int) -> bool:
    """Settle a claim past its lease: adopt Twilio's sid if it has the message, else send again."""
    sessions = runtime.job_sessions()
    with sessions() as session, session.begin():
        row = session.get(Notification, notification_id)
        if row is None or row.status != "sending" or row.due_at > utcnow():
            return False  # settled meanwhile, or its worker may still be at it
        session.expunge(row)
    lease_end = row.due_at
    try:
        found = notifiers.for_row(row).find_sent(row, outbox.claimed_at(row, lease()) - CLOCK_SLACK)
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
