"""The booking policy: hold time, per-number limit, retention. Its defaults are written here and nowhere else.

`hotline.config.Config` reads the environment into one Policy; the use cases in
`shared_db.ledger.changes` and the jobs take it from there.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Policy:
    """Numbers that decide how bookings behave; every channel uses the same ones."""

    hold_seconds: int = 180  # how long offered places stay held while the person decides
    caller_limit: int = 3  # people booked from one number in a rolling 24 hours
    retention_days: int = 14  # a registration is kept this long without an appointment (Saxony's rule)
    completed_retention_days: int = 30  # kept this long after the last appointment
    phone_release_hours: int = 48  # unused phone places go online this long before the slot (new centres)
    # This hotline's own number, as said in messages (a cancellation tells the person where to call us).
    hotline_number: str = "0521 9876 5430"


DEFAULT_POLICY = Policy()
