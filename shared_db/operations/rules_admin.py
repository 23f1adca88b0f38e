"""Rules edited without SQL: campaign windows, what admits to a group, vaccine age bands; previewed and audited.

Every edit is one function that writes the rows and an audit entry with who and
when. `preview` runs the very same edit inside a savepoint, measures what it
does (notices that become due, notices withdrawn, active bookings the person
would no longer be admitted to) and rolls it back: what the supervisor sees
before saving is what saving does.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared_db import audit, clock
from shared_db.errors import InvalidInput
from shared_db.models import (
    ACTIVE_STATUSES,
    Booking,
    CampaignWindow,
    EligibilityRule,
    Invitation,
    OpeningNotice,
    PriorityGroup,
    Slot,
    Vaccine,
    VaccineAgeBand,
)
from shared_db.people import notices
from shared_db.people.eligibility import Facts, assess, load_rules
from shared_db.types import utcnow

CHANNELS = ("phone", "online", "agent")
RULE_KINDS = ("min_age", "care_home", "occupation", "condition", "invitation", "everyone")


# --------------------------------------------------------------------------- edits


def add_window(session: Session, actor: str, *, group: int, opens_on: date, closes_on: date | None = None,
               centre_id: int | None = None, vaccine: str | None = None, channels: tuple[str, ...] = CHANNELS,
               min_age: int | None = None, self_declared: bool = False,
               requires_invitation: bool = False) -> CampaignWindow:
    """Open a group from a day on (and until a day, inclusive), at one centre or all, for some channels."""
    if closes_on is not None and closes_on < opens_on:
        raise InvalidInput("closes_on", "the last day cannot be before the first")
    if not channels or any(c not in CHANNELS for c in channels):
        raise InvalidInput("channels", "phone, online and/or agent")
    window = CampaignWindow(group_id=_group_id(session, group), opens_on=opens_on, closes_on=closes_on,
                            centre_id=centre_id, vaccine_id=_vaccine_id(session, vaccine) if vaccine else None,
                            channels=",".join(channels), min_age=min_age, self_declared=self_declared,
                            requires_invitation=requires_invitation)
    session.add(window)
    session.flush()
    audit.record(session, actor, "campaign_window", window.id, "added", None, _window(window))
    return window


def move_window(session: Session, actor: str, window_id: int, *, opens_on: date,
                closes_on: date | None) -> CampaignWindow:
    """Move a window's first (and last) day; waiting notices follow it."""
    window = _live_window(session, window_id)
    if closes_on is not None and closes_on < opens_on:
        raise InvalidInput("closes_on", "the last day cannot be before the first")
    before = _window(window)
    window.opens_on, window.closes_on = opens_on, closes_on
    session.flush()
    audit.record(session, actor, "campaign_window", window.id, "moved", before, _window(window))
    return window


def cancel_window(session: Session, actor: str, window_id: int, now: datetime | None = None) -> int:
    """Cancel a window: it admits nobody; notices of a group with no window left are withdrawn (returned)."""
    window = _live_window(session, window_id)
    window.cancelled_at = now or utcnow()
    session.flush()
    audit.record(session, actor, "campaign_window", window.id, "cancelled", _window(window), None)
    return notices.withdraw_without_window(session, actor, now)


def add_rule(session: Session, actor: str, *, group: int, kind: str, min_age: int | None = None) -> EligibilityRule:
    """One more way into a group (an age, a list, or a claim that admits only where a window allows it)."""
    if kind not in RULE_KINDS:
        raise InvalidInput("kind", "unknown kind of rule")
    if (kind == "min_age") != (min_age is not None):
        raise InvalidInput("min_age", "an age is given with, and only with, an age rule")
    rule = EligibilityRule(group_id=_group_id(session, group), kind=kind, min_age=min_age)
    session.add(rule)
    session.flush()
    audit.record(session, actor, "eligibility_rule", rule.id, "added", None,
                 {"group": group, "kind": kind, "min_age": min_age})
    return rule


def remove_rule(session: Session, actor: str, rule_id: int) -> None:
    """Take a way into a group away."""
    rule = session.get(EligibilityRule, rule_id)
    if rule is None:
        raise InvalidInput("rule_id", "no such rule")
    audit.record(session, actor, "eligibility_rule", rule.id, "removed",
                 {"group_id": rule.group_id, "kind": rule.kind, "min_age": rule.min_age}, None)
    session.delete(rule)
    session.flush()


def add_band(session: Session, actor: str, *, vaccine: str, min_age: int | None, max_age: int | None,
             valid_from: date, valid_until: date | None = None) -> VaccineAgeBand:
    """Who gets a vaccine from a day on, by age (both ages and both days inclusive)."""
    if min_age is not None and max_age is not None and max_age < min_age:
        raise InvalidInput("max_age", "the oldest age cannot be below the youngest")
    if valid_until is not None and valid_until < valid_from:
        raise InvalidInput("valid_until", "the last day cannot be before the first")
    band = VaccineAgeBand(vaccine_id=_vaccine_id(session, vaccine), min_age=min_age, max_age=max_age,
                          valid_from=valid_from, valid_until=valid_until)
    session.add(band)
    session.flush()
    audit.record(session, actor, "vaccine_age_band", band.id, "added", None,
                 {"vaccine": vaccine, "min_age": min_age, "max_age": max_age, "valid_from": valid_from.isoformat(),
                  "valid_until": valid_until.isoformat() if valid_until else None})
    return band


def end_band(session: Session, actor: str, band_id: int, last_day: date) -> VaccineAgeBand:
    """A band holds until `last_day` (inclusive), e.g. when a vaccine's age limit changes."""
    band = session.get(VaccineAgeBand, band_id)
    if band is None:
        raise InvalidInput("band_id", "no such age band")
    if last_day < band.valid_from:
        raise InvalidInput("valid_until", "the last day cannot be before the first")
    before = band.valid_until.isoformat() if band.valid_until else None
    band.valid_until = last_day
    session.flush()
    audit.record(session, actor, "vaccine_age_band", band.id, "ended", {"valid_until": before},
                 {"valid_until": last_day.isoformat()})
    return band


def _group_id(session: Session, number: int) -> int:
    group_id = session.scalar(select(PriorityGroup.id).where(PriorityGroup.number == number))
    if group_id is None:
        raise InvalidInput("group", "no such priority group")
    return group_id


def _vaccine_id(session: Session, code: str) -> int:
    vaccine_id = session.scalar(select(Vaccine.id).where(Vaccine.code == code))
    if vaccine_id is None:
        raise InvalidInput("vaccine", "no such vaccine")
    return vaccine_id


def _live_window(session: Session, window_id: int) -> CampaignWindow:
    window = session.get(CampaignWindow, window_id, with_for_update=True)
    if window is None or window.cancelled_at is not None:
        raise InvalidInput("window_id", "no such open window")
    return window


def _window(w: CampaignWindow) -> dict:
    return {"group_id": w.group_id, "opens_on": w.opens_on.isoformat(),
            "closes_on": w.closes_on.isoformat() if w.closes_on else None, "centre_id": w.centre_id,
            "vaccine_id": w.vaccine_id, "channels": w.channels, "min_age": w.min_age,
            "self_declared": w.self_declared, "requires_invitation": w.requires_invitation}


# --------------------------------------------------------------------------- preview


@dataclass(frozen=True)
class Effect:
    """What a rule change does, measured before it is saved."""

    notices_due: int  # waiting notices whose group becomes open today
    notices_withdrawn: int  # waiting notices whose group is left without a window
    unbacked: tuple[str, ...]  # booking codes whose person the new rules no longer admit


@dataclass(frozen=True)
class _State:
    waiting: frozenset[int]
    due: frozenset[int]
    orphaned: frozenset[int]
    admitted: frozenset[str]


def preview(session: Session, edit: Callable[[Session], object], now: datetime | None = None) -> Effect:
    """Run `edit` in a savepoint, measure its effect, roll it back."""
    today = clock.today(now)
    before = _measure(session, today)
    nested = session.begin_nested()
    try:
        edit(session)
        after = _measure(session, today, waiting=before.waiting)
    finally:
        nested.rollback()
    session.expire_all()
    return Effect(len(after.due - before.due), len(after.orphaned - before.orphaned),
                  tuple(sorted(before.admitted - after.admitted)))


def _measure(session: Session, today: date, waiting: frozenset[int] | None = None) -> _State:
    """Notices due or left without a window (of those waiting before the edit), bookings still admitted."""
    rules = load_rules(session)
    numbers = dict(session.execute(select(PriorityGroup.id, PriorityGroup.number)).all())
    due, orphaned = set(), set()
    query = select(OpeningNotice).where(OpeningNotice.status == "waiting") if waiting is None else \
        select(OpeningNotice).where(OpeningNotice.id.in_(waiting))
    found = list(session.scalars(query))
    for notice in found:
        day = notices.opening_day(rules, numbers[notice.group_id], notice.date_of_birth, today)
        if day is None or notice.status == "withdrawn":
            orphaned.add(notice.id)
        elif day <= today:
            due.add(notice.id)
    admitted = set()
    for booking in _future_bookings(session, today):
        person = booking.person
        listed = frozenset(numbers[g] for g in session.scalars(select(Invitation.group_id).where(
            Invitation.name_key == person.name_key, Invitation.date_of_birth == person.date_of_birth)))
        facts = Facts(person.date_of_birth, invitation=bool(listed), invited_groups=listed)
        verdict = assess(facts, rules, today, booking.channel, booking.first_slot.centre_id)
        if verdict.eligible and booking.first_slot.vaccine.code in verdict.vaccines:
            admitted.add(booking.code)
    return _State(frozenset(n.id for n in found), frozenset(due), frozenset(orphaned), frozenset(admitted))


def _future_bookings(session: Session, today: date):
    return session.scalars(select(Booking).join(Slot, Slot.id == Booking.first_slot_id)
                           .where(Booking.status.in_(ACTIVE_STATUSES), Booking.person_id.isnot(None),
                                  Slot.starts_at >= clock.start_of_day(today)).order_by(Booking.id))
