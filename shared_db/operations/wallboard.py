"""Figures for the supervisors' wallboard and the daily report, computed from the database.

"Today" is the calendar day in Europe/Berlin. Service level is the share of
callers who left the queue today that an agent answered within 60 seconds
(answered within 60 s / (answered + abandoned)); callers who chose a callback
are not counted against it, and neither are those who hung up within the
abandon threshold (setting `wallboard.abandon_seconds`, default 10 s): a
misdial or a caller who hears the queue message and hangs up at once is a
"short abandon", as call centres count it, not a failure to answer.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from shared_db import clock
from shared_db.calls import STALE_AFTER
from shared_db.models import (
    Booking,
    CallbackRequest,
    CallSession,
    Centre,
    FreedCapacity,
    QueueEntry,
    Slot,
    User,
    Vaccine,
)
from shared_db.settings import ABANDON_SECONDS, get_setting

SERVICE_LEVEL_SECONDS = 60
AGENT_SEEN_MINUTES = 15
OPEN_CALL_HOURS = 2  # a session without an end after this long is a lost status callback, not a caller


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """UTC start and end of a Berlin calendar day."""
    start = clock.start_of_day(day)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def local_hour(moment: datetime) -> int:
    return clock.local(moment).hour


def live(session: Session, now: datetime) -> dict:
    """The figures that change by the second: IVR, queue, callbacks, agents."""
    waits = [int((now - t).total_seconds()) for t in session.scalars(
        select(QueueEntry.enqueued_at).where(QueueEntry.left_at.is_(None), QueueEntry.agent_id.is_(None),
                                             QueueEntry.enqueued_at > now - STALE_AFTER))]
    in_ivr = session.scalar(select(func.count()).select_from(CallSession).where(
        CallSession.ended_at.is_(None), CallSession.updated_at > now - timedelta(hours=OPEN_CALL_HOURS))) or 0
    seen = User.last_seen_at > now - timedelta(minutes=AGENT_SEEN_MINUTES)
    signed_in = session.scalar(select(func.count()).select_from(User).where(User.status != "offline", seen)) or 0
    busy = session.scalar(select(func.count()).select_from(User).where(User.status == "busy", seen)) or 0
    callbacks = session.scalar(select(func.count()).select_from(CallbackRequest).where(
        CallbackRequest.status.in_(("pending", "claimed")))) or 0
    return {"in_ivr": in_ivr, "in_queue": len(waits), "longest_wait": max(waits, default=0),
            "average_wait_now": round(sum(waits) / len(waits)) if waits else 0,
            "callbacks_pending": callbacks, "agents_signed_in": signed_in, "agents_busy": busy}


def queue_today(session: Session, day: date, abandon_after: int | None = None) -> dict:
    """Answered and abandoned callers of a day, average wait and service level.

    Only callers who waited longer than `abandon_after` seconds (the setting when None) count as
    abandoned; the others are counted as short abandons and left out of the service level.
    """
    if abandon_after is None:
        abandon_after = int(get_setting(session, ABANDON_SECONDS))
    start, end = day_bounds(day)
    rows = session.execute(select(QueueEntry.enqueued_at, QueueEntry.left_at, QueueEntry.outcome).where(
        QueueEntry.enqueued_at >= start, QueueEntry.enqueued_at < end)).all()
    answered = [(left - entered).total_seconds() for entered, left, outcome in rows if outcome == "answered" and left]
    gave_up = [(left - entered).total_seconds() if left else None for entered, left, outcome in rows
               if outcome == "abandoned"]
    abandoned = sum(1 for wait in gave_up if wait is None or wait > abandon_after)
    within = sum(1 for wait in answered if wait <= SERVICE_LEVEL_SECONDS)
    ended = len(answered) + abandoned
    return {"queued": len(rows), "answered": len(answered), "abandoned": abandoned,
            "short_abandoned": len(gave_up) - abandoned, "abandon_after": abandon_after,
            "average_wait": round(sum(answered) / len(answered)) if answered else 0,
            "longest_wait_answered": round(max(answered, default=0)),
            "service_level": round(100 * within / ended) if ended else None}


def hourly(session: Session, day: date) -> dict:
    """Per local hour of a day: callers queued, and confirmed bookings by channel."""
    start, end = day_bounds(day)
    calls = defaultdict(int)
    for entered in session.scalars(select(QueueEntry.enqueued_at).where(
            QueueEntry.enqueued_at >= start, QueueEntry.enqueued_at < end)):
        calls[local_hour(entered)] += 1
    bookings: dict[str, dict[int, int]] = {c: defaultdict(int) for c in ("phone", "online", "agent")}
    for confirmed, channel in session.execute(select(Booking.confirmed_at, Booking.channel).where(
            Booking.confirmed_at >= start, Booking.confirmed_at < end)):
        bookings[channel][local_hour(confirmed)] += 1
    hours = list(range(24))
    return {"hours": hours, "calls": [calls[h] for h in hours],
            "bookings": {c: [per[h] for h in hours] for c, per in bookings.items()}}


def capacity(session: Session, now: datetime, days: int = 14) -> list[dict]:
    """Remaining places per centre, local day and pool for the next `days` days (first and second doses)."""
    names = dict(session.execute(select(Centre.id, Centre.name).where(Centre.active.is_(True))).all())
    totals: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    rows = session.execute(select(Slot.centre_id, Slot.starts_at, Slot.phone_capacity, Slot.phone_taken,
                                  Slot.online_capacity, Slot.online_taken)
                           .where(Slot.starts_at > now, Slot.starts_at < now + timedelta(days=days)))
    for centre_id, starts, phone_cap, phone_taken, online_cap, online_taken in rows:
        if centre_id not in names:
            continue
        t = totals[(centre_id, clock.local_date(starts))]
        t[0] += phone_cap - phone_taken
        t[1] += phone_cap
        t[2] += online_cap - online_taken
        t[3] += online_cap
    ordered = sorted(totals.items(), key=lambda kv: (names[kv[0][0]], kv[0][1]))
    return [{"centre_id": cid, "centre": names[cid], "day": day.isoformat(), "phone_free": t[0], "phone_total": t[1],
             "online_free": t[2], "online_total": t[3]} for (cid, day), t in ordered]


HEAT_DAYS = 7


def short_vaccine_name(name: str) -> str:
    """'BioNTech/Pfizer (Comirnaty)' -> 'BioNTech/Pfizer': the brand without the product name, for tight cells."""
    return name.split(" (", 1)[0]


def heat(session: Session, now: datetime, days: int = HEAT_DAYS) -> dict:
    """Free first-dose places per centre, local day and vaccine for the next `days` days (today included).

    {"days": [iso...], "centres": [{"centre", "cells": [[{"vaccine", "free", "total"}...] per day]}]}
    """
    first_day = clock.today(now)
    day_list = [first_day + timedelta(days=i) for i in range(days)]
    end = clock.start_of_day(first_day + timedelta(days=days)).astimezone(UTC)
    centres = session.execute(select(Centre.id, Centre.name).where(Centre.active.is_(True))
                              .order_by(Centre.name)).all()
    names = {v.id: short_vaccine_name(v.name) for v in session.scalars(select(Vaccine))}
    sums: dict[tuple[int, date, int], list[int]] = defaultdict(lambda: [0, 0])
    rows = session.execute(select(Slot.centre_id, Slot.vaccine_id, Slot.starts_at, Slot.phone_capacity,
                                  Slot.phone_taken, Slot.online_capacity, Slot.online_taken)
                           .where(Slot.dose == "first", Slot.starts_at > now, Slot.starts_at < end))
    offered: dict[int, set[int]] = defaultdict(set)
    for centre_id, vaccine_id, starts, phone_cap, phone_taken, online_cap, online_taken in rows:
        cell = sums[(centre_id, clock.local_date(starts), vaccine_id)]
        cell[0] += phone_cap - phone_taken + online_cap - online_taken
        cell[1] += phone_cap + online_cap
        offered[centre_id].add(vaccine_id)
    table = []
    for centre_id, centre_name in centres:
        vaccines = sorted(offered[centre_id], key=lambda v: names[v])
        cells = [[{"vaccine": names[v], "free": sums[(centre_id, d, v)][0], "total": sums[(centre_id, d, v)][1]}
                  for v in vaccines] for d in day_list]
        table.append({"centre": centre_name, "cells": cells})
    return {"days": [d.isoformat() for d in day_list], "centres": table}


def freed_today(session: Session, day: date) -> dict:
    """Places freed on a day, and how many of them agents filled again."""
    start, end = day_bounds(day)
    in_day = and_(FreedCapacity.created_at >= start, FreedCapacity.created_at < end)
    freed = session.scalar(select(func.count()).select_from(FreedCapacity).where(in_day)) or 0
    filled = session.scalar(select(func.count()).select_from(FreedCapacity).where(
        in_day, FreedCapacity.status == "filled")) or 0
    return {"freed": freed, "refilled": filled}


def snapshot(session: Session, now: datetime) -> dict:
    """Everything the wallboard shows, as plain JSON values."""
    today = clock.today(now)
    return {"at": now.isoformat(), "at_local": clock.local(now).strftime("%H:%M:%S"),
            "timezone": clock.CAMPAIGN_TIMEZONE, "live": live(session, now), "today": queue_today(session, today),
            "hourly": hourly(session, today), "freed": freed_today(session, today),
            "capacity": capacity(session, now), "heat": heat(session, now)}
