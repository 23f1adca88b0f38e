"""Small helpers the console views share: the unit of work, the actor, dates for display."""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

from flask import abort, current_app, flash, request
from flask_login import current_user
from sqlalchemy.orm import Session

from services import db
from shared_db import clock
from shared_db.policy import Policy
from shared_db.types import utcnow


def session():
    """The request's database session (open a unit of work with `with session().begin():`)."""
    return db.session()


@contextmanager
def work() -> Iterator[Session]:
    """One unit of work on the request's session: commit on success, roll back on error."""
    s = db.session()
    if s.in_transaction():
        s.rollback()  # end a read that began by itself (a lazy load), so this block owns the transaction
    with s.begin():
        yield s


def today() -> date:
    """The campaign's calendar day (Europe/Berlin), whatever the server's clock zone."""
    return clock.today(now())


def now() -> datetime:
    """The current moment (tests may pin it with CONSOLE_NOW)."""
    pinned = current_app.config.get("CONSOLE_NOW")
    return pinned() if callable(pinned) else utcnow()


def policy() -> Policy:
    """The deployment's booking policy (hold time, per-number limit, retention), the same as every channel's."""
    return current_app.config["POLICY"]


def actor() -> str:
    """How the audit log names the signed-in console user."""
    return f"agent:{current_user.id}"


def user_id() -> int:
    return int(current_user.id)


def int_arg(name: str, source=None) -> int:
    """A whole-number form or query value, or 400."""
    raw = (source if source is not None else request.values).get(name, "")
    try:
        return int(raw)
    except (TypeError, ValueError):
        abort(400)


def parse_date(raw: str | None) -> date | None:
    """A date typed as 2021-04-06 or 06.04.2021, or None."""
    raw = (raw or "").strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    return None


_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
OLDEST_AGE = 120


def birth_date(raw: str, today: date) -> tuple[date | None, str | None]:
    """A date of birth typed as TT.MM.JJJJ (or 1940-02-29), or the key of the message naming what is wrong."""
    raw = (raw or "").strip()
    if not raw:
        return None, "book.need_dob"
    match = _DAY_MONTH_YEAR.fullmatch(raw) or re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", raw)
    if match is None:
        return None, "book.dob_format"
    parts = [int(p) for p in match.groups()]
    day, month, year = parts if len(match.group(1)) < 4 else parts[::-1]
    try:
        born = date(year, month, day)
    except ValueError:
        return None, "book.dob_impossible"  # 31.02.1940 is in the right format, but no such day exists
    if born > today:
        return None, "book.dob_future"
    if today.year - born.year > OLDEST_AGE:
        return None, "book.dob_too_old"
    return born, None


def parse_iso_date(raw: str | None) -> date | None:
    """A date given as 2021-04-06 (the calendar's links), or None."""
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


def local(moment: datetime | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """A moment as Berlin wall-clock text."""
    return clock.local(moment).strftime(fmt) if moment else ""


def flash_error(message: str) -> None:
    flash(message, "error")
