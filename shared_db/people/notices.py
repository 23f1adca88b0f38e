"""'Tell me when my group opens': a notice waits for its group's window and is sent in batches that morning.

The notice keeps the group and the birth date, not a date: every run reads the
rules as they are now, so a window moved to another day moves the notice with
it, and a group whose every window was cancelled has its notices withdrawn.
On the opening day the notices go out spread from 08:00 to 12:00 local time
(each run sends its share so far, oldest request first), so the line is not
flooded at 09:00 by everyone at once.
"""
from __future__ import annotations

import math
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared_db import audit, calls, clock
from shared_db.messages import outbox
from shared_db.models import OpeningNotice, PriorityGroup
from shared_db.people.eligibility import RuleSet, Window, age_on, load_rules
from shared_db.types import utcnow

SPREAD_FROM, SPREAD_UNTIL = time(8, 0), time(12, 0)
TEXT = {
    "de": "Impfhotline: Ihre Gruppe kann jetzt einen Impftermin buchen. Rufen Sie uns an: {hotline}.",
    "en": "Vaccination hotline: your group can now book an appointment. Call us: {hotline}.",
    "tr": "Aşı hattı: Grubunuz artık randevu alabilir. Bizi arayın: {hotline}.",
}


def ask(session: Session, *, group: int, date_of_birth: date, channel: str, phone: str | None = None,
        email: str | None = None, language: str = "de", now: datetime | None = None) -> OpeningNotice:
    """Note a request to be told when `group` opens; asking twice keeps one notice."""
    group_id = session.scalar(select(PriorityGroup.id).where(PriorityGroup.number == group))
    existing = session.scalar(select(OpeningNotice).where(
        OpeningNotice.group_id == group_id, OpeningNotice.date_of_birth == date_of_birth,
        OpeningNotice.channel == channel, OpeningNotice.phone == phone, OpeningNotice.email == email,
        OpeningNotice.status == "waiting"))
    if existing is not None:
        return existing
    notice = OpeningNotice(group_id=group_id, date_of_birth=date_of_birth, channel=channel, phone=phone, email=email,
                           language=language if language in TEXT else "de", created_at=now or utcnow())
    session.add(notice)
    session.flush()
    return notice


def _windows_for(rules: RuleSet, group: int, age: int) -> list[Window]:
    return [w for w in rules.windows if w.group == group and (w.min_age is None or age >= w.min_age)]


def opening_day(rules: RuleSet, group: int, date_of_birth: date, today: date) -> date | None:
    """The day the person's group is (or was last) open for them, by today's rules; None if no window is left."""
    windows = _windows_for(rules, group, age_on(date_of_birth, today))
    started = [w.opens_on for w in windows if w.opens_on <= today and (w.closes_on is None or today <= w.closes_on)]
    if started:
        return max(started)
    ahead = [w.opens_on for w in windows if w.opens_on > today]
    return min(ahead) if ahead else None


def share_by(now_local: datetime) -> float:
    """The share of the day's notices that may have gone out by now (0 before 08:00, 1 from 12:00)."""
    start = datetime.combine(now_local.date(), SPREAD_FROM, now_local.tzinfo)
    end = datetime.combine(now_local.date(), SPREAD_UNTIL, now_local.tzinfo)
    return min(1.0, max(0.0, (now_local - start) / (end - start)))


def send_due(session: Session, hotline: str, now: datetime | None = None) -> dict[str, int]:
    """Send this run's batch of notices whose group is open today; withdraw those whose group has no window left."""
    now = now or utcnow()
    today, rules = clock.today(now), load_rules(session)
    numbers = dict(session.execute(select(PriorityGroup.id, PriorityGroup.number)).all())
    due, withdrawn = [], 0
    for notice in session.scalars(select(OpeningNotice).where(OpeningNotice.status == "waiting")
                                  .order_by(OpeningNotice.created_at, OpeningNotice.id).with_for_update()):
        day = opening_day(rules, numbers[notice.group_id], notice.date_of_birth, today)
        if day is None:
            notice.status = "withdrawn"
            withdrawn += 1
        elif day <= today:
            due.append(notice)
    sent_today = session.scalar(select(_count()).where(OpeningNotice.status == "sent",
                                                       OpeningNotice.sent_at >= clock.start_of_day(today)))
    allowed = math.ceil((sent_today + len(due)) * share_by(now.astimezone(clock.zone()))) - sent_today
    batch = due[:max(0, allowed)]
    for notice in batch:
        _send(session, notice, hotline, now)
    session.flush()
    if withdrawn or batch:
        audit.record(session, "system:jobs", "opening_notices", 0, "sent", None,
                     {"sent": len(batch), "withdrawn": withdrawn, "waiting_due": len(due) - len(batch)})
    return {"sent": len(batch), "withdrawn": withdrawn, "due_later_today": len(due) - len(batch)}


def _count():
    from sqlalchemy import func

    return func.count(OpeningNotice.id)


def _send(session: Session, notice: OpeningNotice, hotline: str, now: datetime) -> None:
    body = TEXT[notice.language].format(hotline=hotline)
    if notice.channel == "sms":
        outbox.add(session, kind="group_open", to_number=notice.phone, body=body, language=notice.language)
    elif notice.channel == "email":
        outbox.add(session, kind="group_open", to_number="", channel="email", to_email=notice.email, body=body,
                   language=notice.language)
    else:
        calls.request_callback(session, notice.phone, notice.language, "group_open", place_at=notice.created_at,
                               now=now)
    notice.status, notice.sent_at = "sent", now


def withdraw_without_window(session: Session, actor: str, now: datetime | None = None) -> int:
    """Withdraw waiting notices whose group has no window left (a window was cancelled); returns how many."""
    rules, today = load_rules(session), clock.today(now)
    numbers = dict(session.execute(select(PriorityGroup.id, PriorityGroup.number)).all())
    gone = [n for n in session.scalars(select(OpeningNotice).where(OpeningNotice.status == "waiting"))
            if opening_day(rules, numbers[n.group_id], n.date_of_birth, today) is None]
    for notice in gone:
        notice.status = "withdrawn"
    session.flush()
    if gone:
        audit.record(session, actor, "opening_notices", 0, "withdrawn", None, {"count": len(gone)})
    return len(gone)
