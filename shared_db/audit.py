"""Audit trail: every change to a booking or person, with who, what, when, before and after."""
from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from shared_db.models import AuditEntry, Booking, Person
from shared_db.types import utcnow

BOOKING_FIELDS = ("status", "first_slot_id", "first_pool", "second_slot_id", "second_pool",
                  "person_id", "channel", "hold_expires_at")
# Personal fields are audited as "changed", never with their values: the audit log outlives retention.
PERSON_FIELDS = ("postcode", "phone", "language", "priority_group", "name", "date_of_birth")
_REDACTED = ("name", "date_of_birth", "phone", "postcode")


def snapshot_booking(booking: Booking) -> dict[str, Any]:
    """The audited fields of a booking as plain JSON values."""
    return {f: _plain(getattr(booking, f)) for f in BOOKING_FIELDS}


def snapshot_person(person: Person) -> dict[str, Any]:
    """The audited fields of a person; personal values masked."""
    return {f: ("***" if f in _REDACTED and getattr(person, f) else _plain(getattr(person, f)))
            for f in PERSON_FIELDS}


def record(session: Session, actor: str, entity: str, entity_id: int, action: str,
           before: dict | None = None, after: dict | None = None, reason: str | None = None) -> None:
    """Write one audit entry in the session's transaction (committed with the change it describes).

    A plain INSERT, not an ORM object: entries are never read back in the transaction
    that writes them, and the booking hot path writes two per booking.
    """
    session.connection().execute(_INSERT, {"at": utcnow(), "actor": actor, "entity": entity, "entity_id": entity_id,
                              "action": action, "before": before, "after": after, "reason": reason})


_INSERT = insert(AuditEntry.__table__)


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
