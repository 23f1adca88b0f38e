"""CSV import of slots: every row is checked before anything is written; one bad row rejects the file.

Columns: centre, vaccine, date (YYYY-MM-DD), time (HH:MM, local), dose (first/second),
phone_capacity, online_capacity, duration_minutes (optional, default 15).
"""
from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared_db.ledger.slots import add_slots, new_slot
from shared_db.models import Centre, Slot, Vaccine

REQUIRED = ("centre", "vaccine", "date", "time", "dose", "phone_capacity", "online_capacity")


@dataclass
class ImportRejected(Exception):
    """The file was rejected whole; `errors` holds (line number, message) pairs."""

    errors: list[tuple[int, str]]

    def __str__(self) -> str:
        return "\n".join(f"line {line}: {message}" for line, message in self.errors)


def import_slots(session: Session, handle: TextIO, progress: Callable[[Iterable], Iterable] = lambda x: x) -> int:
    """Validate the whole CSV, then add every slot in the caller's transaction; returns the count."""
    reader = csv.DictReader(handle)
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportRejected([(1, f"missing columns: {', '.join(missing)}")])
    known = list(session.scalars(select(Centre)))
    centres = {c.name: c for c in known} | {str(c.id): c for c in known}
    vaccines = {v.code: v for v in session.scalars(select(Vaccine))}
    existing = set(session.execute(select(Slot.centre_id, Slot.vaccine_id, Slot.dose, Slot.starts_at)).all())
    slots, errors, seen = [], [], set()
    for line, row in progress(list(enumerate(reader, start=2))):
        try:
            slot = _parse_row(row, centres, vaccines)
        except ValueError as exc:
            errors.append((line, str(exc)))
            continue
        key = (slot.centre_id, slot.vaccine_id, slot.dose, slot.starts_at)
        if key in existing or key in seen:
            errors.append((line, "a slot at this centre, vaccine, dose and time exists already"))
        seen.add(key)
        slots.append(slot)
    if errors:
        raise ImportRejected(errors)
    return add_slots(session, slots)


def _parse_row(row: dict, centres: dict, vaccines: dict) -> Slot:
    centre = centres.get((row.get("centre") or "").strip())
    if centre is None:
        raise ValueError(f"unknown centre {row.get('centre')!r}")
    vaccine = vaccines.get((row.get("vaccine") or "").strip())
    if vaccine is None:
        raise ValueError(f"unknown vaccine {row.get('vaccine')!r}")
    dose = (row.get("dose") or "").strip()
    if dose not in ("first", "second") or (dose == "second" and vaccine.doses == 1):
        raise ValueError(f"dose must be 'first'{' or second' if vaccine.doses == 2 else ''}, got {dose!r}")
    starts_at = _local_start(row.get("date"), row.get("time"), centre.timezone)
    phone, online = _count(row, "phone_capacity"), _count(row, "online_capacity")
    duration = _count(row, "duration_minutes") if (row.get("duration_minutes") or "").strip() else 15
    if phone + online == 0 or duration == 0:
        raise ValueError("a slot needs capacity and a duration")
    return new_slot(centre, vaccine, starts_at, dose, phone, online, duration)


def _local_start(day: str | None, clock: str | None, tz: str) -> datetime:
    try:
        local = datetime.combine(date.fromisoformat((day or "").strip()), time.fromisoformat((clock or "").strip()))
    except ValueError:
        raise ValueError(f"bad date or time {day!r} {clock!r} (expected YYYY-MM-DD and HH:MM)") from None
    return local.replace(tzinfo=ZoneInfo(tz))


def _count(row: dict, column: str) -> int:
    raw = (row.get(column) or "").strip()
    if not raw.isdigit() or int(raw) > 100000:
        raise ValueError(f"{column} must be a whole number from 0, got {raw!r}")
    return int(raw)
