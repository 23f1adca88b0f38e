"""Read side of the agent console: find people and bookings, gather a person's page.

Queries only; no Flask. Phone numbers are normalised with `phonenumbers` before
they are compared, so '0151 1234 5678', '+49 151 12345678' and '004915112345678'
find the same person.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from shared_db.errors import InvalidInput
from shared_db.models import AuditEntry, Booking, Person, PersonNote
from shared_db.people import name_key, normalise_phone

MAX_RESULTS = 50


@dataclass
class SearchResult:
    """What a search found, and how the query was understood."""

    kind: str  # code, phone, name, empty, invalid
    people: list[Person] = field(default_factory=list)
    bookings: list[Booking] = field(default_factory=list)
    normalised: str | None = None


def classify(query: str) -> str:
    """Whether a query looks like a booking code, a phone number or a name."""
    compact = re.sub(r"[\s\-/().]", "", query)
    if compact.isdigit() and 6 <= len(compact) <= 10 and not compact.startswith("0"):
        return "code"
    if re.fullmatch(r"\+?\d{6,16}", compact):
        return "phone"
    return "name"


def search(session: Session, query: str, date_of_birth: date | None = None) -> SearchResult:
    """Find bookings by code, people by phone (any format), or people by name (and birth date)."""
    query = (query or "").strip()
    if not query:
        return SearchResult("empty")
    kind = classify(query)
    if kind == "code":
        code = re.sub(r"\D", "", query)
        bookings = list(session.scalars(select(Booking).where(Booking.code == code)))
        if bookings:
            people = [b.person for b in bookings if b.person is not None]
            return SearchResult("code", people, bookings, code)
        kind = "phone"  # a long digit string that is not a code may still be a number
    if kind == "phone":
        return _by_phone(session, query)
    return _by_name(session, query, date_of_birth)


def _by_phone(session: Session, query: str) -> SearchResult:
    try:
        number = normalise_phone(query)
    except InvalidInput:
        return SearchResult("invalid", normalised=None)
    people = list(session.scalars(select(Person).where(Person.phone == number).order_by(Person.name)
                                  .limit(MAX_RESULTS)))
    # A relative's number may have booked for someone whose own number is different.
    via_caller = session.scalars(select(Person).join(Booking, Booking.person_id == Person.id)
                                 .where(Booking.caller_number == number).limit(MAX_RESULTS))
    for person in via_caller:
        if person not in people:
            people.append(person)
    return SearchResult("phone", people, [], number)


def _by_name(session: Session, query: str, date_of_birth: date | None) -> SearchResult:
    key = name_key(query)
    stmt = select(Person).order_by(Person.name, Person.date_of_birth).limit(MAX_RESULTS)
    if date_of_birth is not None:
        stmt = stmt.where(Person.date_of_birth == date_of_birth)
    words = key.split()
    # Every word of the query must occur in the folded name, in any order.
    stmt = stmt.where(*[Person.name_key.contains(word, autoescape=True) for word in words])
    return SearchResult("name", list(session.scalars(stmt)), [], key)


@dataclass
class PersonPage:
    person: Person
    bookings: list[Booking]
    history: list[AuditEntry]
    notes: list[PersonNote]


def person_page(session: Session, person_id: int) -> PersonPage | None:
    """A person with their bookings (newest first), audit history and notes."""
    person = session.get(Person, person_id)
    if person is None:
        return None
    bookings = list(session.scalars(
        select(Booking).where(Booking.person_id == person_id)
        .options(selectinload(Booking.first_slot), selectinload(Booking.second_slot))
        .order_by(Booking.created_at.desc())))
    booking_ids = [b.id for b in bookings]
    history = list(session.scalars(
        select(AuditEntry).where(or_(
            (AuditEntry.entity == "person") & (AuditEntry.entity_id == person_id),
            (AuditEntry.entity == "booking") & (AuditEntry.entity_id.in_(booking_ids or [-1]))))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(200)))
    notes = list(session.scalars(select(PersonNote).where(PersonNote.person_id == person_id)
                                 .order_by(PersonNote.created_at.desc())))
    return PersonPage(person, bookings, history, notes)


def add_note(session: Session, person_id: int, body: str, actor: str) -> PersonNote:
    """Keep a note on a person; audited without its text (the audit log outlives retention)."""
    from shared_db import audit

    body = (body or "").strip()
    if not body:
        raise InvalidInput("body", "a note needs text")
    if session.get(Person, person_id) is None:
        raise InvalidInput("person_id", "no such person")
    note = PersonNote(person_id=person_id, author=actor, body=body[:4000])
    session.add(note)
    session.flush()
    audit.record(session, actor, "person", person_id, "note_added", after={"note_id": note.id})
    return note
