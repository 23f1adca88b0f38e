"""Periodic jobs: hold expiry, phone-quota release, reminders and reconfirmation, nightly purge.

Each opens its own transaction and is safe to run twice or side by side: the
ledger's row locks and conditional updates, and "no message of this kind yet"
checks under a named lock, make a second run find nothing left to do.
"""
from __future__ import annotations

import logging
from dataclasses import asdict

from sqlalchemy import select, update

from services import runtime
from shared_db import ledger, locks
from shared_db.ledger import changes
from shared_db.messages import reconfirmation
from shared_db.messages.outbox import announce_booking as announce
from shared_db.models import Centre, Slot
from shared_db.operations.retention import purge
from shared_db.people import notices
from shared_db.types import utcnow

log = logging.getLogger(__name__)
SYSTEM = "system:jobs"


def sweep_holds() -> int:
    """Expire lapsed holds and give their places back."""
    total = 0
    while True:
        with runtime.job_sessions().begin() as session:
            released = ledger.release_expired_holds(session)
        total += released
        if released < 500:
            return total


def release_phone_quota() -> int:
    """Move unused phone places of slots past their release time into the online pool.

    One conditional UPDATE per run: places a phone caller took meanwhile stay
    phone places, and a second run finds nothing left to move.
    """
    now = utcnow()
    with runtime.job_sessions().begin() as session:
        result = session.execute(
            update(Slot).where(Slot.phone_release_at <= now, Slot.starts_at > now,
                               Slot.phone_capacity > Slot.phone_taken)
            .values(online_capacity=Slot.online_capacity + Slot.phone_capacity - Slot.phone_taken,
                    phone_capacity=Slot.phone_taken)
            .execution_options(synchronize_session=False))
    return result.rowcount


def send_reminders() -> dict[str, int]:
    """Day-before reminders, reconfirmation requests, and release of bookings never reconfirmed."""
    with runtime.job_sessions().begin() as session:
        locks.lock_key(session, "jobs:reminders")  # two runs side by side would remind twice
        reminded = [announce(session, b, "reminder") for b in reconfirmation.due_reminders(session)]
        reminded += [announce(session, b, "reminder_second") for b in reconfirmation.due_second_reminders(session)]
        asked = [announce(session, b, "reconfirm") for b in reconfirmation.due_requests(session)]
    released = release_unconfirmed()
    opened = send_opening_notices()
    return {"reminders": len(reminded), "reconfirm_requests": len(asked), "released": released,
            "opening_notices": opened["sent"]}


def send_opening_notices() -> dict[str, int]:
    """This run's share of 'your group can book now' notices (spread over the morning), withdrawals included."""
    with runtime.job_sessions().begin() as session:
        locks.lock_key(session, "jobs:opening_notices")  # two runs side by side would send one batch twice
        return notices.send_due(session, runtime.policy().hotline_number)


def release_unconfirmed() -> int:
    """Cancel bookings not reconfirmed by the cut-off; their places become fill tasks for agents."""
    with runtime.job_sessions().begin() as session:
        locks.lock_key(session, "jobs:reconfirmation")
        due = reconfirmation.due_releases(session)
        for booking in due:
            changes.cancel_booking(session, booking.id, actor="system:reconfirmation", reason="nicht rückbestätigt",
                                   freed_reason="unconfirmed", message="released")
    if due:
        log.info("released %d bookings that were not reconfirmed", len(due))
    return len(due)


def close_centre_days() -> int:
    """End every centre's finished day: bookings not checked in become no-shows (at `checkin.closing_hour`)."""
    closed = 0
    with runtime.job_sessions().begin() as session:
        centre_ids = list(session.scalars(select(Centre.id).order_by(Centre.id)))
    for centre_id in centre_ids:  # one transaction per centre: a long day at one does not hold up the others
        with runtime.job_sessions().begin() as session:
            locks.lock_key(session, f"jobs:end_of_day:{centre_id}")
            closed += len(changes.close_centre_days(session, centre_id))
    if closed:
        log.info("end of day: %d bookings not checked in became no-shows", closed)
    return closed


def purge_nightly() -> dict:
    """The retention purge; what it deleted is recorded as counts in purge_records."""
    with runtime.job_sessions().begin() as session:
        report = purge(session, after_appointment_days=runtime.policy().completed_retention_days)
    log.info("retention purge: %s", asdict(report))
    return asdict(report)
