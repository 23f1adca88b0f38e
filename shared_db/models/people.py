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

    group: Mapped[PriorityGroup] = relationship()

class Invitation(Base):
    """An invited person (by name and birth date) or an invitation code, for a facility."""

    __tablename__ = "invitations"
    __table_args__ = (Index("ix_invitations_person", "name_key", "date_of_birth"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility: Mapped[str] = mapped_column(String(120))
    group_id: Mapped[int] = mapped_column(ForeignKey("priority_groups.id"))
    name_key: Mapped[str | None] = mapped_column(String(160))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    code: Mapped[str | None] = mapped_column(String(20), unique=True)
    used: Mapped[bool] = mapped_column(Boolean, default=False)

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
