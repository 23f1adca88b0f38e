"""Eligibility: a pure function of a person's facts, the rules (as data) and today's date.

`assess` answers: eligible or not; through which priority group; whether that
is shown ('verified': the age from the birth date, checked at the door, or an
entry on an institution's invitation list) or only claimed ('to_verify': a
self-declared answer, which admits only through windows that allow it); with
which vaccines (dated age bands per vaccine); when not yet, the date their
group opens; and which questions are still worth asking.

Every boundary is inclusive, and tested on its first and last day: an 80th
birthday today admits today; a window admits on its opening and its closing
day; a vaccine's band admits in its first and its last year of life.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

# The questions a channel may ask, in the order it should ask them.
QUESTIONS = ("care_home", "occupation", "condition", "invitation")
# Answers nobody can check on the line: they admit only where a window allows self-declaration.
CLAIMS = ("care_home", "occupation", "condition")
VERIFIED, TO_VERIFY = "verified", "to_verify"


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
    self_declared: bool = False  # a claim admits here, as "to be verified"


@dataclass(frozen=True)
class VaccineRule:
    code: str
    min_age: int | None = None
    max_age: int | None = None


@dataclass(frozen=True)
class AgeBand:
    """Ages (inclusive) that get a vaccine from `valid_from` to `valid_until` (inclusive; None: open)."""

    code: str
    min_age: int | None
    max_age: int | None
    valid_from: date
    valid_until: date | None = None


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    windows: tuple[Window, ...]
    vaccines: tuple[VaccineRule, ...]
    bands: tuple[AgeBand, ...] = ()


@dataclass(frozen=True)
class Facts:
    """What we know of a person; None means 'not asked yet'."""

    date_of_birth: date
    care_home: bool | None = None
    occupation: bool | None = None
    condition: bool | None = None
    invitation: bool | None = None  # on an invitation list, or holds their own valid invitation code
    invited_groups: frozenset[int] = frozenset()  # the groups their list entries name: shown, not claimed


@dataclass(frozen=True)
class Assessment:
    eligible: bool
    group: int | None = None
    vaccines: tuple[str, ...] = ()
    centre_ids: frozenset[int] | None = None  # None: every centre
    opens_on: date | None = None
    questions: tuple[str, ...] = field(default=())
    reason: str = ""
    verification: str | None = None  # verified or to_verify, when eligible


def age_on(date_of_birth: date, today: date) -> int:
    """Completed years of life on a day."""
    had_birthday = (today.month, today.day) >= (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - (0 if had_birthday else 1)


def assess(facts: Facts, rules: RuleSet, today: date, channel: str, centre_id: int | None = None) -> Assessment:
    """Decide whether the person may book today on this channel, and what to ask or tell them.

    A verified admission always wins over a claimed one, even into a lower group: a claim never outranks proof.
    """
    age = age_on(facts.date_of_birth, today)
    shown, claimed = _groups_matched(facts, rules, age)
    usable = [w for w in rules.windows if _window_usable(w, channel, centre_id, age, facts)]
    for groups, verification in ((shown, VERIFIED), (claimed, TO_VERIFY)):
        open_now = [w for w in usable if _admits(w, groups, verification, facts) and _is_open(w, today)]
        vaccines = _vaccines(open_now, rules, age, today)
        if open_now and vaccines:
            centres = None if any(w.centre_id is None for w in open_now) else frozenset(w.centre_id for w in open_now)
            return Assessment(True, min(w.group for w in open_now), vaccines, centres, reason="eligible",
                              verification=verification)
    questions = _helpful_questions(facts, rules, usable, today, shown)
    opens_on, group = _next_opening(usable, shown, claimed, facts, today)
    reason = "questions" if questions else "not_yet" if opens_on else "not_eligible"
    return Assessment(False, group=group, opens_on=opens_on, questions=questions, reason=reason)


def _rule_matches(rule: Rule, facts: Facts, age: int) -> bool:
    if rule.kind == "everyone":
        return True
    if rule.kind == "min_age":
        return age >= (rule.min_age or 0)
    return getattr(facts, rule.kind) is True


def _groups_matched(facts: Facts, rules: RuleSet, age: int) -> tuple[set[int], set[int]]:
    """Groups shown (age, list) and groups only claimed (self-declared answers)."""
    matched = [r for r in rules.rules if _rule_matches(r, facts, age)]
    shown = {r.group for r in matched if r.kind not in CLAIMS} | set(facts.invited_groups)
    return shown, {r.group for r in matched if r.kind in CLAIMS}


def _admits(w: Window, groups: set[int], verification: str, facts: Facts) -> bool:
    return (w.group in groups and (verification == VERIFIED or w.self_declared)
            and (not w.requires_invitation or facts.invitation is True))


def _window_usable(w: Window, channel: str, centre_id: int | None, age: int, facts: Facts) -> bool:
    return (channel in w.channels and (centre_id is None or w.centre_id in (None, centre_id))
            and (w.min_age is None or age >= w.min_age)
            and (not w.requires_invitation or facts.invitation is not False))


def _is_open(w: Window, today: date) -> bool:
    return w.opens_on <= today and (w.closes_on is None or today <= w.closes_on)


def vaccines_for_age(rules: RuleSet, age: int, today: date) -> set[str]:
    """Vaccine codes for this age today: a vaccine with age bands follows those in force, else its own ages."""
    banded = {b.code for b in rules.bands}
    allowed = {b.code for b in rules.bands if _band_admits(b, age, today)}
    allowed |= {v.code for v in rules.vaccines if v.code not in banded and _in_ages(age, v.min_age, v.max_age)}
    return allowed


def _band_admits(band: AgeBand, age: int, today: date) -> bool:
    in_force = band.valid_from <= today and (band.valid_until is None or today <= band.valid_until)
    return in_force and _in_ages(age, band.min_age, band.max_age)


def _in_ages(age: int, low: int | None, high: int | None) -> bool:
    return (low is None or age >= low) and (high is None or age <= high)


def _vaccines(windows: list[Window], rules: RuleSet, age: int, today: date) -> tuple[str, ...]:
    allowed = vaccines_for_age(rules, age, today)
    named = {w.vaccine for w in windows}
    if None not in named:
        allowed &= named
    return tuple(sorted(allowed))


def _helpful_questions(facts, rules, usable, today, shown) -> tuple[str, ...]:
    """Unanswered questions whose 'yes' would open a window today; a claim only where windows accept claims."""
    helpful = set()
    for rule in rules.rules:
        if rule.kind not in QUESTIONS or getattr(facts, rule.kind) is not None or rule.group in shown:
            continue
        if any(w.group == rule.group and _is_open(w, today) and (rule.kind not in CLAIMS or w.self_declared)
               for w in usable):
            helpful.add(rule.kind)
    for w in usable:
        # A list entry names its own group, so a code could open any window open today that age does not.
        if facts.invitation is None and _is_open(w, today) and (w.group not in shown or w.requires_invitation):
            helpful.add("invitation")
    return tuple(q for q in QUESTIONS if q in helpful)


def _next_opening(usable: list[Window], shown: set[int], claimed: set[int], facts: Facts,
                  today: date) -> tuple[date | None, int | None]:
    """The earliest day a window opens for the person, and its group (the one to wait for)."""
    future = [(w.opens_on, w.group) for w in usable if w.opens_on > today
              and (_admits(w, shown, VERIFIED, facts) or _admits(w, claimed, TO_VERIFY, facts)
                   or (w.requires_invitation and facts.invitation is None and w.group in shown))]
    return min(future) if future else (None, None)


def load_rules(session: Session) -> RuleSet:
    """Read the eligibility rules from the database into plain, immutable data."""
    from shared_db.models import CampaignWindow, EligibilityRule, PriorityGroup, Vaccine, VaccineAgeBand

    numbers = dict(session.execute(select(PriorityGroup.id, PriorityGroup.number)).all())
    codes = dict(session.execute(select(Vaccine.id, Vaccine.code)).all())
    rules = tuple(Rule(numbers[r.group_id], r.kind, r.min_age) for r in session.scalars(select(EligibilityRule)))
    windows = tuple(
        Window(numbers[w.group_id], w.opens_on, w.closes_on, w.centre_id, codes.get(w.vaccine_id),
               frozenset(c.strip() for c in w.channels.split(",") if c.strip()), w.requires_invitation, w.min_age,
               w.self_declared)
        for w in session.scalars(select(CampaignWindow).where(CampaignWindow.cancelled_at.is_(None))))
    vaccines = tuple(VaccineRule(v.code, v.min_age, v.max_age) for v in session.scalars(select(Vaccine)))
    bands = tuple(AgeBand(codes[b.vaccine_id], b.min_age, b.max_age, b.valid_from, b.valid_until)
                  for b in session.scalars(select(VaccineAgeBand)))
    return RuleSet(rules, windows, vaccines, bands)
