"""Supervisor-owned settings (settings table, JSON values) with their defaults and bounds.

Keys other parts read:
  queue_overload_length             callers waiting before the IVR offers callbacks instead (shared_db.calls.queue)
  queue_overload_wait_seconds       estimated wait before the same (shared_db.calls.queue)
  callbacks.max_attempts            tries before a callback request is given up
  callbacks.retry_minutes           pause before an unanswered callback is tried again
  fill.days_ahead                   how many days ahead freed places become fill tasks
  checkin.closing_hour              local hour at which a centre's day ends: not checked in becomes a no-show
  rebooking.no_show_needs_agent     1: a person whose last appointment was a no-show is booked again only by an agent
  wallboard.abandon_seconds         a caller who hangs up after waiting longer than this counts as abandoned
                                    in the service level (shorter: a "short abandon", as call centres count)
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from shared_db import audit
from shared_db.errors import InvalidInput
from shared_db.models import Setting
from shared_db.types import utcnow

OVERLOAD_QUEUE_LENGTH = "queue_overload_length"
OVERLOAD_WAIT_SECONDS = "queue_overload_wait_seconds"

# key: (default, minimum, maximum)
DEFAULTS: dict[str, tuple[int, int, int]] = {
    OVERLOAD_QUEUE_LENGTH: (25, 1, 10000),
    OVERLOAD_WAIT_SECONDS: (900, 30, 86400),
    "callbacks.max_attempts": (3, 1, 20),
    "callbacks.retry_minutes": (30, 1, 1440),
    "fill.days_ahead": (3, 1, 14),
    "checkin.closing_hour": (20, 12, 23),
    "rebooking.no_show_needs_agent": (0, 0, 1),
    "wallboard.abandon_seconds": (10, 0, 300),
}
ABANDON_SECONDS = "wallboard.abandon_seconds"


def get_setting(session: Session, key: str) -> Any:
    """The stored value of a setting, or its default (also when the stored value is not a number)."""
    row = session.get(Setting, key)
    if row is None:
        return DEFAULTS[key][0]
    try:
        return int(row.value)
    except (TypeError, ValueError):
        return DEFAULTS[key][0]


def all_settings(session: Session) -> dict[str, Any]:
    """Every known setting with its current value."""
    return {key: get_setting(session, key) for key in DEFAULTS}


def set_setting(session: Session, key: str, raw: Any, actor: str) -> Any:
    """Store a setting after checking it is a whole number within its bounds; audited."""
    if key not in DEFAULTS:
        raise InvalidInput(key, "unknown setting")
    _, low, high = DEFAULTS[key]
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise InvalidInput(key, "a whole number is needed") from None
    if not low <= value <= high:
        raise InvalidInput(key, f"between {low} and {high}")
    row = session.get(Setting, key, with_for_update=True)
    before = row.value if row is not None else None
    if row is None:
        row = Setting(key=key, value=value)
        session.add(row)
    if before != value:
        row.value, row.updated_at, row.updated_by = value, utcnow(), actor
        session.flush()
        audit.record(session, actor, "setting", 0, "setting_changed", {key: before}, {key: value})
    return value


def set_centre_quota(session: Session, centre_id: int, phone_share_percent: Any, release_hours: Any,
                     actor: str, now=None) -> None:
    """Change a centre's phone share (for new slots) and release time (also for its future slots)."""
    from datetime import timedelta

    from sqlalchemy import select, update

    from shared_db.models import Centre, Slot

    share, hours = _bounded("phone_share_percent", phone_share_percent, 0, 100), \
        _bounded("phone_release_hours", release_hours, 0, 24 * 14)
    centre = session.get(Centre, centre_id, with_for_update=True)
    if centre is None:
        raise InvalidInput("centre_id", "no such centre")
    before = {"phone_share_percent": centre.phone_share_percent, "phone_release_hours": centre.phone_release_hours}
    centre.phone_share_percent, centre.phone_release_hours = share, hours
    if before["phone_release_hours"] != hours:
        # Slots not yet started get the new release moment; capacity counters are untouched.
        rows = session.execute(select(Slot.id, Slot.starts_at).where(
            Slot.centre_id == centre_id, Slot.starts_at > (now or utcnow()))).all()
        if rows:  # bulk UPDATE by primary key, computed here so SQLite and PostgreSQL agree
            session.execute(update(Slot), [{"id": sid, "phone_release_at": start - timedelta(hours=hours)}
                                           for sid, start in rows])
    session.flush()
    after = {"phone_share_percent": share, "phone_release_hours": hours}
    if after != before:
        audit.record(session, actor, "centre", centre_id, "quota_changed", before, after)


def _bounded(field: str, raw: Any, low: int, high: int) -> int:
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise InvalidInput(field, "a whole number is needed") from None
    if not low <= value <= high:
        raise InvalidInput(field, f"between {low} and {high}")
    return value
