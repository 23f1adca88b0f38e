"""Centres, vaccines, slots with their per-channel pools, bookings and freed places."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared_db.models.base import (
    Base,
    partial_unique_index,
)

if TYPE_CHECKING:  # only for annotations: the registry resolves the relationship
    from shared_db.models.people import Person
from shared_db.types import UTCDateTime, utcnow


class Centre(Base):
    __tablename__ = "centres"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(80))
    district: Mapped[str] = mapped_column(String(80), index=True)
    neighbour_districts: Mapped[list[str]] = mapped_column(JSON, default=list)
    timezone: Mapped[str] = mapped_column(String(40), default="Europe/Berlin")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Hours before a slot's start at which unused phone capacity opens to the online channel.
    phone_release_hours: Mapped[int] = mapped_column(Integer, default=48)
    # Share of new slots' capacity reserved for the phone pool, in percent (supervisor setting).
    phone_share_percent: Mapped[int] = mapped_column(Integer, default=20)
    reconfirmation_enabled: Mapped[bool] = mapped_column(Boolean, default=False)

    postcodes: Mapped[list[CentrePostcode]] = relationship(
        back_populates="centre", cascade="all, delete-orphan"
    )

class CentrePostcode(Base):
    __tablename__ = "centre_postcodes"

    postcode: Mapped[str] = mapped_column(String(5), primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), primary_key=True)
    centre: Mapped[Centre] = relationship(back_populates="postcodes")

class Vaccine(Base):
    __tablename__ = "vaccines"
    __table_args__ = (
        CheckConstraint("doses IN (1, 2)", name="doses"),
        CheckConstraint(
            "doses = 1 OR (interval_min_days IS NOT NULL AND interval_max_days >= interval_min_days)",
            name="interval",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    doses: Mapped[int] = mapped_column(Integer)
    interval_min_days: Mapped[int | None] = mapped_column(Integer)
    interval_max_days: Mapped[int | None] = mapped_column(Integer)
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)

class Slot(Base):
    """A bookable time at a centre: capacity split into a phone and an online pool."""

    __tablename__ = "slots"
    __table_args__ = (
        CheckConstraint("phone_taken >= 0 AND phone_taken <= phone_capacity", name="phone_pool"),
        CheckConstraint("online_taken >= 0 AND online_taken <= online_capacity", name="online_pool"),
        CheckConstraint("dose IN ('first', 'second')", name="dose"),
        UniqueConstraint("centre_id", "vaccine_id", "dose", "starts_at", name="uq_slots_time"),
        Index("ix_slots_search", "centre_id", "vaccine_id", "dose", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"))
    vaccine_id: Mapped[int] = mapped_column(ForeignKey("vaccines.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=15)
    dose: Mapped[str] = mapped_column(String(6))
    phone_capacity: Mapped[int] = mapped_column(Integer, default=0)
    phone_taken: Mapped[int] = mapped_column(Integer, default=0)
    online_capacity: Mapped[int] = mapped_column(Integer, default=0)
    online_taken: Mapped[int] = mapped_column(Integer, default=0)
    # From this moment unused phone capacity may be booked by the online channel.
    phone_release_at: Mapped[datetime] = mapped_column(UTCDateTime)

    centre: Mapped[Centre] = relationship()
    vaccine: Mapped[Vaccine] = relationship()

    def free(self, pool: str) -> int:
        """Free places in one pool, as last loaded."""
        return getattr(self, f"{pool}_capacity") - getattr(self, f"{pool}_taken")

class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint(
            "status IN ('held', 'confirmed', 'cancelled', 'completed', 'no_show', 'expired')",
            name="status",
        ),
        CheckConstraint("channel IN ('phone', 'online', 'agent')", name="channel"),
        CheckConstraint("first_pool IN ('phone', 'online')", name="first_pool"),
        CheckConstraint("second_pool IS NULL OR second_pool IN ('phone', 'online')", name="second_pool"),
        # One active booking per person, enforced by the database under any concurrency.
        partial_unique_index("uq_bookings_active_person", "person_id",
                             where="status IN ('held', 'confirmed') AND person_id IS NOT NULL"),
        Index("ix_bookings_status_hold", "status", "hold_expires_at"),
        Index("ix_bookings_caller", "caller_number", "confirmed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    first_slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"))
    first_pool: Mapped[str] = mapped_column(String(6))
    second_slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id"))
    second_pool: Mapped[str | None] = mapped_column(String(6))
    status: Mapped[str] = mapped_column(String(10), default="held")
    channel: Mapped[str] = mapped_column(String(6))
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    caller_number: Mapped[str | None] = mapped_column(String(20))  # E.164 of who booked
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    reconfirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How the person's priority was shown: 'verified' (age from the birth date, or an invitation list entry),
    # 'to_verify' (a self-declared answer, to be checked by supervisors and at the door); None before 0003.
    verification: Mapped[str | None] = mapped_column(String(10))
    # Who created or last changed it: "call:CA…", "agent:7", "api:3", "system".
    created_by: Mapped[str] = mapped_column(String(64))
    changed_by: Mapped[str | None] = mapped_column(String(64))
    # Check-in at the centre: when each dose was given and the vaccine's batch, as centres record it.
    first_given_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_batch: Mapped[str | None] = mapped_column(String(40))
    second_given_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    second_batch: Mapped[str | None] = mapped_column(String(40))
    # When the booking reached its end (completed, no_show, cancelled): retention counts from here.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # A care-home visit of a mobile team books its residents as bookings of the visit.
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("care_home_visits.id"), index=True)

    person: Mapped[Person | None] = relationship(back_populates="bookings")
    first_slot: Mapped[Slot] = relationship(foreign_keys=[first_slot_id])
    second_slot: Mapped[Slot | None] = relationship(foreign_keys=[second_slot_id])

class FreedCapacity(Base):
    """A place given back by a cancellation, clean-up or no-show: a task for agents to refill."""

    __tablename__ = "freed_capacity"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'claimed', 'filled', 'lapsed')", name="status"),
        Index("ix_freed_open", "status", "slot_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"))
    pool: Mapped[str] = mapped_column(String(6))
    reason: Mapped[str] = mapped_column(String(40))
    source_booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(8), default="open")
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(200))
    filled_booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"))

    slot: Mapped[Slot] = relationship()


class Delivery(Base):
    """Doses of one vaccine for one centre (or its mobile teams) in one week: expected, then delivered."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("centre_id", "vaccine_id", "week_start", name="uq_deliveries_week"),
        CheckConstraint("doses >= 0", name="doses"),
        CheckConstraint("status IN ('expected', 'delivered')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"))
    vaccine_id: Mapped[int] = mapped_column(ForeignKey("vaccines.id"))
    week_start: Mapped[date] = mapped_column(Date)  # the Monday of the delivery week
    doses: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="expected")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64))


class CareHomeVisit(Base):
    """A mobile team's day at a care home: one visit, its residents booked as the visit's bookings."""

    __tablename__ = "care_home_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"))  # the centre whose team goes out
    vaccine_id: Mapped[int] = mapped_column(ForeignKey("vaccines.id"))
    home_name: Mapped[str] = mapped_column(String(160))
    home_address: Mapped[str] = mapped_column(String(200))
    first_slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"))
    second_slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
