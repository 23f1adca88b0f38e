"""Invitation lists: an institution's list imported from CSV, personal one-time codes, used by one booking.

A code is 8 digits (7 random, the first never 0, and a Damm check digit), so it
is typed on any keypad, read aloud as two groups of four, never mistaken for a
9-digit booking code, and a mistyped or swapped digit is caught before any
database look-up. A code belongs to one listed person: used with another
person's birth date (or, where the name is typed, another name) it is refused
with InvitationNotYours, the Siegen link that could be forwarded.

An invitation is used by one active booking: `consume` takes it with one
conditional UPDATE (two confirms racing with one code: one wins), `release`
gives it back when that booking is cancelled.
"""
from __future__ import annotations

import csv
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TextIO

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shared_db import audit
from shared_db.errors import InvalidInput, InvitationInvalid, InvitationNotYours, InvitationUsed
from shared_db.ledger.codes import damm_digit
from shared_db.ledger.slot_import import ImportRejected
from shared_db.models import ACTIVE_STATUSES, Booking, Invitation, PriorityGroup
from shared_db.people.eligibility import Facts
from shared_db.people.identity import is_mobile, name_key, normalise_phone
from shared_db.types import utcnow

CODE_LENGTH = 8
COLUMNS = ("institution", "name", "date_of_birth", "group")
OPTIONAL = ("mobile", "email")
EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z]{2,}$")


# --------------------------------------------------------------------------- codes


def new_invitation_code() -> str:
    """A fresh random code: 7 digits, the first never 0, then the Damm check digit."""
    body = str(secrets.randbelow(9) + 1) + "".join(str(secrets.randbelow(10)) for _ in range(CODE_LENGTH - 2))
    return body + damm_digit(body)


def is_valid_invitation_code(code: str) -> bool:
    """True for 8 digits whose check digit matches."""
    return len(code) == CODE_LENGTH and code.isdigit() and damm_digit(code) == "0"


def clean_invitation_code(raw: str | None) -> str:
    """Digits only: people type or say spaces and dashes between the groups."""
    return "".join(ch for ch in (raw or "") if ch.isdigit())


def spoken(code: str) -> str:
    """The code as printed and said: two groups of four."""
    return f"{code[:4]} {code[4:]}"


# --------------------------------------------------------------------------- who is invited


def invitation_for(session: Session, *, date_of_birth: date, code: str | None = None,
                   name: str | None = None) -> Invitation | None:
    """The invitation that admits this person: by their code, or (no code) by name and birth date on a list.

    A code refuses when it is not valid (InvitationInvalid), belongs to someone else (InvitationNotYours: the
    birth date, and the name when one is given, must be the listed person's) or is used by an active booking
    (InvitationUsed). Without a code, None when the person is on no list.
    """
    if code:
        return _by_code(session, clean_invitation_code(code), date_of_birth, name)
    if not name:
        return None
    rows = list(session.scalars(select(Invitation).where(
        Invitation.name_key == name_key(name), Invitation.date_of_birth == date_of_birth).order_by(Invitation.id)))
    free = [row for row in rows if not _in_use(session, row)]
    if rows and not free:
        raise InvitationUsed("this person's invitation is used by an active booking")
    return free[0] if free else None


def facts_for(session: Session, *, date_of_birth: date, name: str | None = None, code: str | None = None,
              claims: dict | None = None) -> tuple[Facts, Invitation | None]:
    """The facts eligibility is decided on, with the invitation that shows them (refusals as in invitation_for).

    Without a code or a listed name, `invitation` stays as unknown (None) when nothing was asked, so the
    rules can still ask for it; an invitation found names its group as shown.
    """
    invitation = invitation_for(session, date_of_birth=date_of_birth, code=code, name=name)
    claims = {k: (claims or {}).get(k) for k in ("care_home", "occupation", "condition")}
    if invitation is None:
        asked = bool(code) or bool(name)
        return Facts(date_of_birth, invitation=False if asked else None, **claims), None
    number = session.scalar(select(PriorityGroup.number).where(PriorityGroup.id == invitation.group_id))
    return Facts(date_of_birth, invitation=True, invited_groups=frozenset({number}), **claims), invitation


def is_listed(session: Session, person_name_key: str, date_of_birth: date) -> bool:
    """True when the person (normalised name, birth date) is on any institution's list."""
    return session.scalar(select(Invitation.id).where(
        Invitation.name_key == person_name_key, Invitation.date_of_birth == date_of_birth).limit(1)) is not None


def _by_code(session: Session, code: str, date_of_birth: date, name: str | None) -> Invitation:
    if not is_valid_invitation_code(code):
        raise InvitationInvalid("not a valid invitation code")
    row = session.scalar(select(Invitation).where(Invitation.code == code))
    if row is None:
        raise InvitationInvalid("no invitation has this code")
    # A code without a listed person (the shared facility codes of before) admits nobody.
    if row.date_of_birth != date_of_birth or row.name_key is None or (name and name_key(name) != row.name_key):
        raise InvitationNotYours("this invitation code belongs to another person")
    if _in_use(session, row):
        raise InvitationUsed("this invitation code is used by an active booking")
    return row


def _in_use(session: Session, row: Invitation) -> bool:
    if row.booking_id is None:
        return False
    status = session.scalar(select(Booking.status).where(Booking.id == row.booking_id))
    return status in ACTIVE_STATUSES


def consume(session: Session, invitation_id: int, booking_id: int, actor: str) -> None:
    """Bind the invitation to the booking that uses it, in one conditional UPDATE: one booking wins it."""
    taken = session.execute(
        update(Invitation).where(Invitation.id == invitation_id, Invitation.booking_id.is_(None))
        .values(booking_id=booking_id).execution_options(synchronize_session=False)).rowcount
    if taken != 1:
        owner = session.scalar(select(Invitation.booking_id).where(Invitation.id == invitation_id))
        if owner != booking_id:  # the same booking confirmed again is no second use
            raise InvitationUsed("this invitation code is used by an active booking")
        return
    audit.record(session, actor, "invitation", invitation_id, "used", None, {"booking_id": booking_id})


def release(session: Session, booking_id: int, actor: str) -> int:
    """Give back the invitation a cancelled booking used, so the person can book again; returns how many."""
    ids = list(session.scalars(select(Invitation.id).where(Invitation.booking_id == booking_id)))
    if not ids:
        return 0
    session.execute(update(Invitation).where(Invitation.id.in_(ids)).values(booking_id=None)
                    .execution_options(synchronize_session=False))
    for invitation_id in ids:
        audit.record(session, actor, "invitation", invitation_id, "released", {"booking_id": booking_id}, None)
    return len(ids)


# --------------------------------------------------------------------------- import


@dataclass(frozen=True)
class ListedPerson:
    """One checked row of an institution's list."""

    line: int
    institution: str
    name: str
    date_of_birth: date
    group: int
    mobile: str | None
    email: str | None


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    unchanged: int


def read_list(handle: TextIO, groups: Iterable[int], today: date) -> list[ListedPerson]:
    """Check every row of the CSV; ImportRejected names each bad line, and nothing is written."""
    reader = csv.DictReader(handle)
    fields = [f.strip().lower() for f in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in fields]
    if missing:
        raise ImportRejected([(1, f"missing columns: {', '.join(missing)}")])
    reader.fieldnames = fields
    known, rows, errors, seen = set(groups), [], [], {}
    for line, raw in enumerate(reader, start=2):
        try:
            person = _parse_row(line, raw, known, today)
        except ValueError as exc:
            errors.append((line, str(exc)))
            continue
        key = (person.institution, name_key(person.name), person.date_of_birth)
        if key in seen:
            errors.append((line, f"the same person as on line {seen[key]}"))
            continue
        seen[key] = line
        rows.append(person)
    if errors:
        raise ImportRejected(errors)
    if not rows:
        raise ImportRejected([(1, "the list has no rows")])
    return rows


def _parse_row(line: int, raw: dict, groups: set[int], today: date) -> ListedPerson:
    value = {k: (v or "").strip() for k, v in raw.items() if k}
    institution, name = value.get("institution", ""), " ".join(value.get("name", "").split())
    if not institution or len(institution) > 120:
        raise ValueError("institution: 1 to 120 characters")
    if len(name) < 2 or len(name) > 160 or any(ch.isdigit() for ch in name):
        raise ValueError("name: a person's name is needed")
    born = _birth_date(value.get("date_of_birth", ""), today)
    group = value.get("group", "")
    if not group.isdigit() or int(group) not in groups:
        raise ValueError(f"group: one of {', '.join(str(g) for g in sorted(groups))}")
    return ListedPerson(line, institution, name, born, int(group), _mobile(value.get("mobile", "")),
                        _email(value.get("email", "")))


def _birth_date(raw: str, today: date) -> date:
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            born = datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
        if born > today or today.year - born.year > 120:
            raise ValueError("date_of_birth: not a plausible date of birth")
        return born
    raise ValueError("date_of_birth: YYYY-MM-DD or DD.MM.YYYY")


def _mobile(raw: str) -> str | None:
    if not raw:
        return None
    try:
        number = normalise_phone(raw)
    except InvalidInput:
        raise ValueError("mobile: not a phone number") from None
    if not is_mobile(number):
        raise ValueError("mobile: not a mobile number (an SMS cannot reach it)")
    return number


def _email(raw: str) -> str | None:
    if not raw:
        return None
    if len(raw) > 254 or not EMAIL.match(raw):
        raise ValueError("email: not an e-mail address")
    return raw


def import_list(session: Session, rows: list[ListedPerson], actor: str) -> ImportResult:
    """Write checked rows: new people get a code, listed people keep theirs (a re-import changes nothing)."""
    group_ids = dict(session.execute(select(PriorityGroup.number, PriorityGroup.id)).all())
    added = updated = unchanged = 0
    for person in rows:
        row = session.scalar(select(Invitation).where(
            Invitation.facility == person.institution, Invitation.name_key == name_key(person.name),
            Invitation.date_of_birth == person.date_of_birth))
        wanted = {"group_id": group_ids[person.group], "name": person.name, "phone": person.mobile,
                  "email": person.email}
        if row is None:
            session.add(Invitation(facility=person.institution, name_key=name_key(person.name),
                                   date_of_birth=person.date_of_birth, code=_unused_code(session), **wanted))
            added += 1
        elif any(getattr(row, k) != v for k, v in wanted.items()):
            for key, value in wanted.items():
                setattr(row, key, value)
            updated += 1
        else:
            unchanged += 1
    session.flush()
    institutions = sorted({p.institution for p in rows})
    audit.record(session, actor, "invitation_list", 0, "imported", None,
                 {"institutions": institutions, "added": added, "updated": updated, "unchanged": unchanged})
    return ImportResult(added, updated, unchanged)


def _unused_code(session: Session) -> str:
    while True:  # 9 million codes: a collision is rare, and the unique index would catch a race
        code = new_invitation_code()
        if session.scalar(select(Invitation.id).where(Invitation.code == code)) is None:
            return code


# --------------------------------------------------------------------------- the lists' state


@dataclass(frozen=True)
class ListState:
    institution: str
    listed: int
    sent: int
    used: int
    unused: int
    letters_due: int


def list_states(session: Session) -> list[ListState]:
    """Per institution: how many are listed, were sent their invitation, used it, have not yet."""
    states = {}
    for row in session.scalars(select(Invitation).where(Invitation.name_key.isnot(None))
                               .order_by(Invitation.facility)):
        s = states.setdefault(row.facility, [0, 0, 0, 0])
        s[0] += 1
        s[1] += row.sent_at is not None
        s[2] += row.booking_id is not None
        s[3] += row.sent_at is None and not row.phone and not row.email
    return [ListState(name, listed, sent, used, listed - used, letters) for name, (listed, sent, used, letters)
            in states.items()]


def listed_ids(session: Session, institution: str | None = None) -> list[int]:
    """Invitations of one institution (or all) that name a person."""
    query = select(Invitation.id).where(Invitation.name_key.isnot(None)).order_by(Invitation.id)
    if institution:
        query = query.where(Invitation.facility == institution)
    return list(session.scalars(query))


def mark_sent(row: Invitation, via: str, now: datetime | None = None) -> None:
    """Remember how and when the person was given their code."""
    row.sent_via, row.sent_at = via, now or utcnow()
