"""The register of people: found by identity, registered once, kept until a retention deadline."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from shared_db import audit, clock
from shared_db.models import Booking, Person
from shared_db.people.identity import PersonDetails, name_key, validate_details
from shared_db.policy import DEFAULT_POLICY
from shared_db.session import as_persistent
from shared_db.types import utcnow


def find_person(session: Session, name: str, date_of_birth: date, for_update: bool = False) -> Person | None:
    """The person with this normalised name and birth date, if registered."""
    query = select(Person).where(Person.name_key == name_key(name), Person.date_of_birth == date_of_birth)
    # FOR NO KEY UPDATE: serialises updates of the person without blocking rows that refer to them.
    return session.scalar(query.with_for_update(key_share=True) if for_update else query)


def register(session: Session, details: PersonDetails, channel: str, actor: str,
             now: datetime | None = None, retention_days: int = DEFAULT_POLICY.retention_days) -> Person:
    """Find the person by identity or register them; fresh contact details win."""
    now = now or utcnow()
    return register_person(session, details, channel, actor, now, clock.today(now) + timedelta(days=retention_days))[0]


def register_person(session: Session, details: PersonDetails, channel: str, actor: str, now: datetime,
                    keep_until: date) -> tuple[Person, bool]:
    """Register or update a person; returns (person, newly registered).

    A new person is written with `keep_until` as their deletion date; a known one keeps
    theirs until the caller calls keep_at_least_until (after the booking succeeded).
    """
    validate_details(details, clock.today(now))
    person = None
    for _ in range(2):  # a second round only if the known row was purged in between
        created = _insert_if_new(session, details, channel, actor, now, keep_until)
        if created is not None:
            return created, True
        # Known already. Under the row lock, so two channels updating one person take turns.
        person = find_person(session, details.name, details.date_of_birth, for_update=True)
        if person is not None:
            break
    if person is None:
        raise RuntimeError("a person row vanished twice while being registered")
    before = audit.snapshot_person(person)
    _apply_contact(person, details)
    if session.is_modified(person):
        session.flush()
        audit.record(session, actor, "person", person.id, "updated", before, audit.snapshot_person(person))
    return person, False


def keep_at_least_until(person: Person, keep_until: date) -> None:
    """Push the person's deletion date out (never in); not audited, it is not personal data."""
    if keep_until > person.retention_until:
        person.retention_until = keep_until


def _insert_if_new(session: Session, details: PersonDetails, channel: str, actor: str, now: datetime,
                   keep_until: date) -> Person | None:
    """Register a person not seen before in one statement; None when the identity is registered already.

    The unique identity index decides: a concurrent registration of the same person makes
    this INSERT wait for it and then do nothing, so both end up with the one row.
    """
    values = dict(name=details.name.strip(), name_key=name_key(details.name), date_of_birth=details.date_of_birth,
                  postcode=details.postcode, phone=details.phone, language=details.language or "de",
                  priority_group=details.priority_group, name_recording_url=details.name_recording_url,
                  registered_via=channel, created_at=now, retention_until=keep_until, wants_notification=False)
    connection = session.connection()
    person_id = connection.scalar(_INSERT_IF_NEW[connection.dialect.name], values)
    if person_id is None:
        return None
    # The row we wrote, not read back.
    person = as_persistent(session, Person, {"id": person_id, **values}, inserted=True)
    audit.record(session, actor, "person", person_id, "registered", after=audit.snapshot_person(person))
    return person


# INSERT ... ON CONFLICT DO NOTHING RETURNING id, built once per dialect.
_INSERT_IF_NEW = {
    name: dialect_insert(Person.__table__).on_conflict_do_nothing(index_elements=["name_key", "date_of_birth"])
    .returning(Person.__table__.c.id)
    for name, dialect_insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


def _apply_contact(person: Person, details: PersonDetails) -> None:
    for field in ("postcode", "phone", "language", "priority_group", "name_recording_url"):
        value = getattr(details, field)
        if value is not None and getattr(person, field) != value:
            setattr(person, field, value)


def last_outcome(session: Session, details: PersonDetails) -> str | None:
    """How the person's most recently ended booking ended (completed, no_show, cancelled), if any."""
    person = find_person(session, details.name, details.date_of_birth)
    if person is None:
        return None
    return session.scalar(select(Booking.status).where(Booking.person_id == person.id, Booking.ended_at.isnot(None))
                          .order_by(Booking.ended_at.desc(), Booking.id.desc()).limit(1))
