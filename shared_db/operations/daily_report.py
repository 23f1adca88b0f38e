"""The daily report as CSV rows: calls, waits, abandonment, bookings by channel, freed and refilled places."""
from __future__ import annotations

import csv
import io
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared_db.models import Booking, CallSession, FreedCapacity, QueueEntry
from shared_db.operations.wallboard import SERVICE_LEVEL_SECONDS, day_bounds, local_hour

COLUMNS = ("hour", "calls", "queued", "answered", "abandoned", "avg_wait_s", "answered_within_60s",
           "bookings_phone", "bookings_online", "bookings_agent", "cancellations", "freed", "refilled")


def rows(session: Session, day: date) -> list[dict]:
    """One row per local hour with activity, then a total row."""
    start, end = day_bounds(day)
    table: dict[int, dict] = {}

    def row(hour: int) -> dict:
        return table.setdefault(hour, {c: 0 for c in COLUMNS} | {"hour": f"{hour:02d}:00", "_waits": []})

    for (started,) in session.execute(select(CallSession.started_at).where(
            CallSession.started_at >= start, CallSession.started_at < end)):
        row(local_hour(started))["calls"] += 1
    for entered, left, outcome in session.execute(select(QueueEntry.enqueued_at, QueueEntry.left_at,
                                                         QueueEntry.outcome).where(
            QueueEntry.enqueued_at >= start, QueueEntry.enqueued_at < end)):
        r = row(local_hour(entered))
        r["queued"] += 1
        if outcome == "answered" and left:
            wait = (left - entered).total_seconds()
            r["answered"] += 1
            r["_waits"].append(wait)
            r["answered_within_60s"] += wait <= SERVICE_LEVEL_SECONDS
        elif outcome == "abandoned":
            r["abandoned"] += 1
    for confirmed, channel in session.execute(select(Booking.confirmed_at, Booking.channel).where(
            Booking.confirmed_at >= start, Booking.confirmed_at < end)):
        row(local_hour(confirmed))[f"bookings_{channel}"] += 1
    for (cancelled,) in session.execute(select(Booking.cancelled_at).where(
            Booking.cancelled_at >= start, Booking.cancelled_at < end)):
        row(local_hour(cancelled))["cancellations"] += 1
    for created, status in session.execute(select(FreedCapacity.created_at, FreedCapacity.status).where(
            FreedCapacity.created_at >= start, FreedCapacity.created_at < end)):
        r = row(local_hour(created))
        r["freed"] += 1
        r["refilled"] += status == "filled"
    return _with_total([table[h] for h in sorted(table)])


def _with_total(hours: list[dict]) -> list[dict]:
    total = {c: 0 for c in COLUMNS} | {"hour": "total", "_waits": []}
    for r in hours:
        for c in COLUMNS[1:]:
            if c != "avg_wait_s":
                total[c] += r[c]
        total["_waits"] += r["_waits"]
    for r in hours + [total]:
        waits = r.pop("_waits")
        r["avg_wait_s"] = round(sum(waits) / len(waits)) if waits else 0
    return hours + [total]


def to_csv(session: Session, day: date) -> str:
    """The report of one day as CSV text (header row first)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows(session, day))
    return out.getvalue()
