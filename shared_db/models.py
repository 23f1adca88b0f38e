"""The one schema both channels use: SQLAlchemy 2.0 typed models.

Times are stored as UTC (see `UTCDateTime`); local calendar days are computed
with the centre's time zone. Invariants that must hold under concurrency are
check constraints and unique indexes here, not Python checks elsewhere.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared_db.types import UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Booking states in which a booking holds capacity.
ACTIVE_STATUSES = ("held", "confirmed")
BOOKING_STATUSES = ("held", "confirmed", "cancelled", "completed", "no_show", "expired")
CHANNELS = ("phone", "online", "agent")
POOLS = ("phone", "online")
DOSE_KINDS = ("first", "second")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# --------------------------------------------------------------------------- places and vaccines


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

    postcodes: Mapped[list["CentrePostcode"]] = relationship(
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
    interval_min_days: Mapped[Optional[int]] = mapped_column(Integer)
    interval_max_days: Mapped[Optional[int]] = mapped_column(Integer)
    min_age: Mapped[Optional[int]] = mapped_column(Integer)
    max_age: Mapped[Optional[int]] = mapped_column(Integer)


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


# --------------------------------------------------------------------------- eligibility as data


class PriorityGroup(Base):
    """A priority group of the vaccination ordinance; lower number means higher priority."""

    __tablename__ = "priority_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(120))
    rules: Mapped[list["EligibilityRule"]] = relationship(
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
    min_age: Mapped[Optional[int]] = mapped_column(Integer)
    group: Mapped[PriorityGroup] = relationship(back_populates="rules")


class CampaignWindow(Base):
    """Which group may book from when, at which centre (None: all), with which vaccine (None: all)."""

    __tablename__ = "campaign_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("priority_groups.id"))
    centre_id: Mapped[Optional[int]] = mapped_column(ForeignKey("centres.id"))
    vaccine_id: Mapped[Optional[int]] = mapped_column(ForeignKey("vaccines.id"))
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[Optional[date]] = mapped_column(Date)
    # Channels that may book in this window; e.g. the hotline reserved for 80+ ("phone,agent").
    channels: Mapped[str] = mapped_column(String(40), default="phone,online,agent")
    requires_invitation: Mapped[bool] = mapped_column(Boolean, default=False)
    min_age: Mapped[Optional[int]] = mapped_column(Integer)

    group: Mapped[PriorityGroup] = relationship()


class Invitation(Base):
    """An invited person (by name and birth date) or an invitation code, for a facility."""

    __tablename__ = "invitations"
    __table_args__ = (Index("ix_invitations_person", "name_key", "date_of_birth"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility: Mapped[str] = mapped_column(String(120))
    group_id: Mapped[int] = mapped_column(ForeignKey("priority_groups.id"))
    name_key: Mapped[Optional[str]] = mapped_column(String(160))
    date_of_birth: Mapped[Optional[date]] = mapped_column(Date)
    code: Mapped[Optional[str]] = mapped_column(String(20), unique=True)
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
    postcode: Mapped[Optional[str]] = mapped_column(String(5))
    phone: Mapped[Optional[str]] = mapped_column(String(20), index=True)  # E.164
    language: Mapped[str] = mapped_column(String(5), default="de")
    priority_group: Mapped[Optional[int]] = mapped_column(Integer)
    registered_via: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retention_until: Mapped[date] = mapped_column(Date, index=True)
    # URL of the recorded spoken name, so an agent can check the spelling.
    name_recording_url: Mapped[Optional[str]] = mapped_column(String(300))
    wants_notification: Mapped[bool] = mapped_column(Boolean, default=False)

    bookings: Mapped[list["Booking"]] = relationship(back_populates="person")


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
        Index(
            "uq_bookings_active_person",
            "person_id",
            unique=True,
            sqlite_where=text("status IN ('held', 'confirmed') AND person_id IS NOT NULL"),
            postgresql_where=text("status IN ('held', 'confirmed') AND person_id IS NOT NULL"),
        ),
        Index("ix_bookings_status_hold", "status", "hold_expires_at"),
        Index("ix_bookings_caller", "caller_number", "confirmed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    person_id: Mapped[Optional[int]] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    first_slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"))
    first_pool: Mapped[str] = mapped_column(String(6))
    second_slot_id: Mapped[Optional[int]] = mapped_column(ForeignKey("slots.id"))
    second_pool: Mapped[Optional[str]] = mapped_column(String(6))
    status: Mapped[str] = mapped_column(String(10), default="held")
    channel: Mapped[str] = mapped_column(String(6))
    hold_expires_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    caller_number: Mapped[Optional[str]] = mapped_column(String(20))  # E.164 of who booked
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[Optional[str]] = mapped_column(String(200))
    reconfirmed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Who created or last changed it: "call:CA…", "agent:7", "api:3", "system".
    created_by: Mapped[str] = mapped_column(String(64))
    changed_by: Mapped[Optional[str]] = mapped_column(String(64))

    person: Mapped[Optional[Person]] = relationship(back_populates="bookings")
    first_slot: Mapped[Slot] = relationship(foreign_keys=[first_slot_id])
    second_slot: Mapped[Optional[Slot]] = relationship(foreign_keys=[second_slot_id])


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
    source_booking_id: Mapped[Optional[int]] = mapped_column(ForeignKey("bookings.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(8), default="open")
    claimed_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    claim_expires_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    outcome: Mapped[Optional[str]] = mapped_column(String(200))
    filled_booking_id: Mapped[Optional[int]] = mapped_column(ForeignKey("bookings.id"))

    slot: Mapped[Slot] = relationship()


class PersonNote(Base):
    """A free-text note an agent keeps on a person (deleted with the person by retention)."""

    __tablename__ = "person_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --------------------------------------------------------------------------- audit and outbox


class AuditEntry(Base):
    """Who changed what, when, before and after. Purge scrubs personal fields, keeps the entry."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    before: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    after: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    reason: Mapped[Optional[str]] = mapped_column(String(200))


class Notification(Base):
    """Outbox row: written in the same transaction as the change it announces."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'delivered', 'failed', 'cancelled')",
            name="status",
        ),
        CheckConstraint("channel IN ('sms', 'voice')", name="channel"),
        Index("ix_notifications_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # confirmation, reminder, cancellation, group_open, reconfirm
    channel: Mapped[str] = mapped_column(String(5), default="sms")
    to_number: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5), default="de")
    body: Mapped[str] = mapped_column(Text)
    booking_id: Mapped[Optional[int]] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    person_id: Mapped[Optional[int]] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider_id: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    last_error: Mapped[Optional[str]] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    delivered_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


# --------------------------------------------------------------------------- calls, queue, callbacks


class CallSession(Base):
    """IVR call state, kept out of process memory so any web process can serve any step."""

    __tablename__ = "call_sessions"

    call_sid: Mapped[str] = mapped_column(String(40), primary_key=True)
    from_number: Mapped[Optional[str]] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(5), default="de")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    step: Mapped[int] = mapped_column(Integer, default=0)
    # Key and answer of the last request, so a Twilio retry gets the same answer again.
    last_request_key: Mapped[Optional[str]] = mapped_column(String(64))
    last_response: Mapped[Optional[str]] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    end_status: Mapped[Optional[str]] = mapped_column(String(20))


class QueueEntry(Base):
    """One caller's wait in the agent queue: enqueue, dequeue, abandonment, wait time."""

    __tablename__ = "queue_entries"
    __table_args__ = (Index("ix_queue_waiting", "left_at", "enqueued_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(40), index=True)
    from_number: Mapped[Optional[str]] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5), default="de")
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    left_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # answered, abandoned, callback, error
    outcome: Mapped[Optional[str]] = mapped_column(String(12))
    agent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))


class CallbackRequest(Base):
    """A caller's request to be called back; keeps their original place in line."""

    __tablename__ = "callback_requests"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'claimed', 'done', 'given_up')", name="status"
        ),
        # One open request per number: duplicates are merged into it.
        Index(
            "uq_callback_open_number",
            "phone",
            unique=True,
            sqlite_where=text("status IN ('pending', 'claimed')"),
            postgresql_where=text("status IN ('pending', 'claimed')"),
        ),
        Index("ix_callback_order", "status", "place_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5), default="de")
    reason: Mapped[str] = mapped_column(String(20), default="queue")  # queue, overload, group_open
    # The moment that decides the order: when the caller first joined the line.
    place_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    not_before: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    claimed_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    claim_expires_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[Optional[str]] = mapped_column(String(200))
    merged_count: Mapped[int] = mapped_column(Integer, default=0)


# --------------------------------------------------------------------------- users, clients, settings


class User(Base):
    """An agent, supervisor or admin of the console."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('agent', 'supervisor', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10))
    phone: Mapped[Optional[str]] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="offline")  # offline, ready, busy


class ApiClient(Base):
    """A server-to-server client of the online API; only a hash of its key is kept."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(12), unique=True)
    key_hash: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class IdempotencyRecord(Base):
    """The first answer to a request with an Idempotency-Key, replayed on retries."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("client_id", "key", name="uq_idempotency_client_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"))
    key: Mapped[str] = mapped_column(String(100))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Setting(Base):
    """A supervisor-owned setting (queue thresholds and the like), as JSON."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[Optional[str]] = mapped_column(String(64))


class PurgeRecord(Base):
    """What a retention purge deleted: counts only, never who."""

    __tablename__ = "purge_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    people_deleted: Mapped[int] = mapped_column(Integer, default=0)
    bookings_anonymised: Mapped[int] = mapped_column(Integer, default=0)
    notifications_deleted: Mapped[int] = mapped_column(Integer, default=0)
    call_sessions_deleted: Mapped[int] = mapped_column(Integer, default=0)
