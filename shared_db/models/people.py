"""People, their notes, and who may book: priority groups, rules, campaign windows, invitations."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared_db.models.base import (
    Base,
)

if TYPE_CHECKING:  # only for annotations: the registry resolves the relationship
    from shared_db.models.ledger import Booking
from shared_db.types import UTCDateTime, utcnow


# --------------------------------------------------------------------------- eligibility as data
class PriorityGroup(Base):
    """A priority group of the vaccination ordinance; lower number means higher priority."""

    __tablename__ = "priority_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(120))
    rules: Mapped[list[EligibilityRule]] = relationship(
        back_populates="group", cascade="all, delete-orphan"
    )

class EligibilityRule(Base):
    """One way into a group: any matching rule admits. kind: min_age, care_home, occupation, condition, invitation."""

    __tablename__ = "eligibility_rules"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('min_age', 'care_home', 'occupation', 'condition', 'invitation', 'everyone')",
            name="kind",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("priority_groups.id"))
    kind: Mapped[str] = mapped_column(String(20))
    min_age: Mapped[int | None] = mapped_column(Integer)
    group: Mapped[PriorityGroup] = relationship(back_populates="rules")

class CampaignWindow(Base):
    """Which group may book from when, at which centre (None: all), with which vaccine (None: all)."""

    __tablename__ = "campaign_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("priority_groups.id"))
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"))
    vaccine_id: Mapped[int | None] = mapped_column(ForeignKey("vaccines.id"))
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date | None] = mapped_column(Date)
    # Channels that may book in this window; e.g. the hotline reserved for 80+ ("phone,agent").
    channels: Mapped[str] = mapped_column(String(40), default="phone,online,agent")
    requires_invitation: Mapped[bool] = mapped_column(Boolean, default=False)
    min_age: Mapped[int | None] = mapped_column(Integer)
    # Self-declared answers (care home, occupation, condition) admit here only when this is set, and then
    # only as "to be verified": the Siegen lesson is that a claim nobody checks is an open door.
    self_declared: Mapped[bool] = mapped_column(Boolean, default=False)
    # A cancelled window admits nobody; its "tell me when it opens" notices are withdrawn.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    group: Mapped[PriorityGroup] = relationship()


class VaccineAgeBand(Base):
    """Who gets a vaccine, by age, from a date on: the rules changed several times in spring 2021.

    A vaccine with bands valid on a day follows them that day (any band admits); without any, the vaccine's own
    min_age/max_age apply. Both ages are inclusive: a band 18-59 admits the 18th and the 59th year of life.
    """

    __tablename__ = "vaccine_age_bands"

    id: Mapped[int] = mapped_column(primary_key=True)
    vaccine_id: Mapped[int] = mapped_column(ForeignKey("vaccines.id", ondelete="CASCADE"), index=True)
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)  # inclusive; None: until further notice

class Invitation(Base):
    """A person on an institution's invitation list, with a personal one-time code bound to name and birth date.

    `booking_id` is the active booking that used the invitation: taken by one conditional UPDATE at confirm,
    cleared when that booking is cancelled (shared_db.people.invitations).
    """

    __tablename__ = "invitations"
    __table_args__ = (
        Index("ix_invitations_person", "name_key", "date_of_birth"),
        UniqueConstraint("facility", "name_key", "date_of_birth", name="uq_invitations_listed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility: Mapped[str] = mapped_column(String(120), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("priority_groups.id"))
    name: Mapped[str | None] = mapped_column(String(160))  # as listed: the letter is addressed with it
    name_key: Mapped[str | None] = mapped_column(String(160))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    code: Mapped[str | None] = mapped_column(String(20), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164 mobile, for the SMS invitation
    email: Mapped[str | None] = mapped_column(String(254))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"), unique=True)
    sent_via: Mapped[str | None] = mapped_column(String(6))  # sms, email, letter
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OpeningNotice(Base):
    """"Tell me when my group opens": kept until the group's window opens, then sent in a batch that morning."""

    __tablename__ = "opening_notices"
    __table_args__ = (
        CheckConstraint("status IN ('waiting', 'sent', 'withdrawn')", name="status"),
        CheckConstraint("channel IN ('sms', 'callback', 'email')", name="channel"),
        Index("ix_opening_notices_waiting", "status", "group_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("priority_groups.id"))
    # Only the birth date: a window may open for an age within the group ("79-year-olds from 6 April").
    date_of_birth: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(8))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(5), default="de")
    status: Mapped[str] = mapped_column(String(10), default="waiting")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

# --------------------------------------------------------------------------- people and bookings
class Person(Base):
    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("name_key", "date_of_birth", name="uq_people_identity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    # Normalised name (case, accents, spacing folded): with the birth date it identifies a person.
    name_key: Mapped[str] = mapped_column(String(160))
    date_of_birth: Mapped[date] = mapped_column(Date)
    postcode: Mapped[str | None] = mapped_column(String(5))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)  # E.164
    language: Mapped[str] = mapped_column(String(5), default="de")
    priority_group: Mapped[int | None] = mapped_column(Integer)
    registered_via: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retention_until: Mapped[date] = mapped_column(Date, index=True)
    # URL of the recorded spoken name, so an agent can check the spelling.
    name_recording_url: Mapped[str | None] = mapped_column(String(300))
    wants_notification: Mapped[bool] = mapped_column(Boolean, default=False)

    bookings: Mapped[list[Booking]] = relationship(back_populates="person")

class PersonNote(Base):
    """A free-text note an agent keeps on a person (deleted with the person by retention)."""

    __tablename__ = "person_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
