"""Eligibility: a pure function of a person's facts, the rules (as data) and today's date.

`assess` answers: eligible or not; through which priority group; with which
vaccines; when not yet, the date their group opens; and which questions are
still worth asking (the ones that could make the person eligible today, and
that the date of birth does not already decide).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

# The questions a channel may ask, in the order it should ask them.
QUESTIONS = ("care_home", "occupation", "condition", "invitation")


@dataclass(frozen=True)
class Rule:
    group: int
    kind: str  # min_age, care_home, occupation, condition, invitation, everyone
    min_age: int | None = None


@dataclass(frozen=True)
class Window:
    group: int
    opens_on: date
    closes_on: date | None = None
    centre_id: int | None = None
    vaccine: str | None = None
    channels: frozenset[str] = frozenset({"phone", "online", "agent"})
    requires_invitation: bool = False
    min_age: int | None = None


@dataclass(frozen=True)
class VaccineRule:
    code: str
    min_age: int | None = None
    max_age: int | None = None


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    windows: tuple[Window, ...]
    vaccines: tuple[VaccineRule, ...]


@dataclass(frozen=True)
class Facts:
    """What we know of a person; None means 'not asked yet'."""

    date_of_birth: date
    care_home: bool | None = None
    occupation: bool | None = None
    condition: bool | None = None
    invitation: bool | None = None  # on an invitation list, or holds a valid invitation code


@dataclass(frozen=True)
class Assessment:
    eligible: bool
    group: int | None = None
    vaccines: tuple[str, ...] = ()
    centre_ids: frozenset[int] | None = None  # None: every centre
    opens_on: date | None = None
    questions: tuple[str, ...] = field(default=())
    reason: str = ""


def age_on(date_of_birth: date, today: date) -> int:
    """Completed years of life on a day."""
    had_birthday = (today.month, today.day) >= (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - (0 if had_birthday else 1)


def assess(facts: Facts, rules: RuleSet, today: date, channel: str, centre_id: int | None = None) -> Assessment:
    """Decide whether the person may book today on this channel, and what to ask or tell them."""
    age = age_on(facts.date_of_birth, today)
    groups = _groups_matched(facts, rules, age)
    usable = [w for w in rules.windows if _window_usable(w, channel, centre_id, age, facts)]
    open_now = [w for w in usable if w.group in groups and _is_open(w, today)
                and (not w.requires_invitation or facts.invitation is True)]
    vaccines = _vaccines(open_now, rules, age)
    if open_now and vaccines:
        centres = None if any(w.centre_id is None for w in open_now) else frozenset(w.centre_id for w in open_now)
        return Assessment(True, min(w.group for w in open_now), vaccines, centres, reason="eligible")
    questions = _helpful_questions(facts, rules, usable, today, age, groups)
    if questions:
        return Assessment(False, questions=questions, reason="questions")
    opens_on = _next_opening(usable, groups, today)
    reason = "not_yet" if opens_on else "not_eligible"
    return Assessment(False, opens_on=opens_on, reason=reason)


def _rule_matches(rule: Rule, facts: Facts, age: int) -> bool:
    if rule.kind == "everyone":
        return True
    if rule.kind == "min_age":
        return age >= (rule.min_age or 0)
    return getattr(facts, rule.kind) is True


def _groups_matched(facts: Facts, rules: RuleSet, age: int) -> set[int]:
    return {r.group for r in rules.rules if _rule_matches(r, facts, age)}


def _window_usable(w: Window, channel: str, centre_id: int | None, age: int, facts: Facts) -> bool:
    return (channel in w.channels and (centre_id is None or w.centre_id in (None, centre_id))
            and (w.min_age is None or age >= w.min_age)
            and (not w.requires_invitation or facts.invitation is not False))


def _is_open(w: Window, today: date) -> bool:
    return w.opens_on <= today and (w.closes_on is None or today <= w.closes_on)


def _vaccines(windows: list[Window], rules: RuleSet, age: int) -> tuple[str, ...]:
    allowed = {v.code for v in rules.vaccines
               if (v.min_age is None or age >= v.min_age) and (v.max_age is None or age <= v.max_age)}
    named = {w.vaccine for w in windows}
    if None not in named:
        allowed &= named
    return tuple(sorted(allowed))


def _helpful_questions(facts, rules, usable, today, age, groups) -> tuple[str, ...]:
    """Unanswered questions whose 'yes' would open a window today; invitation-only windows ask for it."""
    open_groups = {w.group for w in usable if _is_open(w, today)}
    helpful = set()
    for rule in rules.rules:
        if rule.kind in QUESTIONS and getattr(facts, rule.kind) is None and rule.group in open_groups \
                and rule.group not in groups:
            helpful.add(rule.kind)
    for w in usable:
        if w.requires_invitation and facts.invitation is None and w.group in groups and _is_open(w, today):
            helpful.add("invitation")
    return tuple(q for q in QUESTIONS if q in helpful)


def _next_opening(usable: list[Window], groups: set[int], today: date) -> date | None:
    future = [w.opens_on for w in usable if w.group in groups and w.opens_on > today]
    return min(future) if future else None


def load_rules(session: Session) -> RuleSet:
    """Read the eligibility rules from the database into plain, immutable data."""
    from shared_db.models import CampaignWindow, EligibilityRule, PriorityGroup, Vaccine

    numbers = dict(session.execute(select(PriorityGroup.id, PriorityGroup.number)).all())
    codes = dict(session.execute(select(Vaccine.id, Vaccine.code)).all())
    rules = tuple(Rule(numbers[r.group_id], r.kind, r.min_age) for r in session.scalars(select(EligibilityRule)))
    windows = tuple(
        Window(numbers[w.group_id], w.opens_on, w.closes_on, w.centre_id, codes.get(w.vaccine_id),
               frozenset(c.strip() for c in w.channels.split(",") if c.strip()), w.requires_invitation, w.min_age)
        for w in session.scalars(select(CampaignWindow)))
    vaccines = tuple(VaccineRule(v.code, v.min_age, v.max_age) for v in session.scalars(select(Vaccine)))
    return RuleSet(rules, windows, vaccines)


def invitation_matches(session: Session, name_key: str | None, date_of_birth: date | None,
                       code: str | None) -> bool:
    """True when the person is on an invitation list, or the code is a valid invitation code."""
    from shared_db.models import Invitation

    if code:
        return session.scalar(select(Invitation.id).where(Invitation.code == code)) is not None
    if name_key and date_of_birth:
        return session.scalar(select(Invitation.id).where(
            Invitation.name_key == name_key, Invitation.date_of_birth == date_of_birth)) is not None
    return False
