"""CSV import of slots: every row is checked before anything is written; one bad row rejects the file.

Columns: centre, vaccine, date (YYYY-MM-DD), time (HH:MM, local), dose (first/second),
phone_capacity, online_capacity, duration_minutes (optional, default 15).

A week whose recorded delivery (shared_db/ledger/supply.py) the rows would exceed
rejects the file too. After the import, a warning per centre and vaccine names
first-dose slots without any second-dose place inside the interval: they are never
offered (an offer needs its second dose), so the warning says how many doses hide.
"""
from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared_db.clock import local_date
from shared_db.ledger.pairing import second_dose_window
from shared_db.ledger.slots import add_slots, new_slot
from shared_db.ledger.supply import WeekStock, week_start, week_stock
from shared_db.models import Centre, Slot, Vaccine

REQUIRED = ("centre", "vaccine", "date", "time", "dose", "phone_capacity", "online_capacity")


@dataclass
class ImportRejected(Exception):
    """The file was rejected whole; `errors` holds (line number, message) pairs."""

    errors: list[tuple[int, str]]

    def __str__(self) -> str:
        return "\n".join(f"line {line}: {message}" for line, message in self.errors)


@dataclass
class ImportResult:
    """How many slots came in, and what the people planning them should know."""

    count: int
    warnings: list[str] = field(default_factory=list)


def import_slots(session: Session, handle: TextIO, progress: Callable[[Iterable], Iterable] = lambda x: x) -> int:
    """Validate the whole CSV, then add every slot in the caller's transaction; returns the count."""
    return import_report(session, handle, progress).count


def import_report(session: Session, handle: TextIO,
                  progress: Callable[[Iterable], Iterable] = lambda x: x) -> ImportResult:
    """import_slots(), with the warnings about first doses that have no second-dose capacity."""
    reader = csv.DictReader(handle)
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportRejected([(1, f"missing columns: {', '.join(missing)}")])
    known = list(session.scalars(select(Centre)))
    centres = {c.name: c for c in known} | {str(c.id): c for c in known}
    vaccines = {v.code: v for v in session.scalars(select(Vaccine))}
    existing = set(session.execute(select(Slot.centre_id, Slot.vaccine_id, Slot.dose, Slot.starts_at)).all())
    slots, errors, seen, lines = [], [], set(), []
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
        lines.append(line)
    errors += _over_stock(session, slots, lines)
    if errors:
        raise ImportRejected(sorted(errors))
    count = add_slots(session, slots)
    return ImportResult(count, missing_second_doses(session, [s for s in slots if s.dose == "first"]))


def _over_stock(session: Session, slots: list[Slot], lines: list[int]) -> list[tuple[int, str]]:
    """The line at which a week's places first exceed its recorded delivery, per centre, vaccine and week."""
    centres = {c.id: c for c in session.scalars(select(Centre))}
    added: dict[tuple, int] = {}
    stocks: dict[tuple, WeekStock] = {}
    errors = []
    for slot, line in zip(slots, lines, strict=True):
        centre = centres[slot.centre_id]
        key = (slot.centre_id, slot.vaccine_id, week_start(local_date(slot.starts_at, centre.timezone)))
        if key not in stocks:  # one look at the week's delivery and places, not one per row
            stocks[key] = week_stock(session, centre, slot.vaccine_id, key[2])
        stock, before = stocks[key], added.get(key, 0)
        added[key] = before + slot.phone_capacity + slot.online_capacity
        crossed = stock.doses is not None and stock.places + before <= stock.doses < stock.places + added[key]
        if crossed or (stock.doses is not None and before == 0 and stock.places > stock.doses):
            errors.append((line, f"the week of {key[2].isoformat()} would offer {stock.places + added[key]} doses "
                                 f"at {centre.name}, but {stock.doses} are {stock.status}"))
    return errors


def missing_second_doses(session: Session, firsts: list[Slot]) -> list[str]:
    """Per centre and vaccine: first-dose slots without any second-dose capacity in their interval."""
    hidden: dict[tuple[int, int], list[int]] = {}
    for first in firsts:
        vaccine, centre = session.get(Vaccine, first.vaccine_id), session.get(Centre, first.centre_id)
        if vaccine.doses != 2:
            continue
        start, end = second_dose_window(first.starts_at, vaccine, centre.timezone)
        places = session.scalar(select(func.coalesce(func.sum(Slot.phone_capacity + Slot.online_capacity), 0))
                                .where(Slot.centre_id == centre.id, Slot.vaccine_id == vaccine.id,
                                       Slot.dose == "second", Slot.starts_at >= start, Slot.starts_at < end))
        if not places:
            counts = hidden.setdefault((centre.id, vaccine.id), [0, 0])
            counts[0] += 1
            counts[1] += first.phone_capacity + first.online_capacity
    return sorted(_warning(session.get(Centre, c), session.get(Vaccine, v), n, doses)
                  for (c, v), (n, doses) in hidden.items())


def _warning(centre: Centre, vaccine: Vaccine, slots: int, doses: int) -> str:
    return (f"{centre.name}, {vaccine.code}: {slots} first-dose slots ({doses} doses) have no second-dose place "
            f"{vaccine.interval_min_days} to {vaccine.interval_max_days} days later and will not be offered")


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
