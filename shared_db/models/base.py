"""The declarative base, constraint naming and the status vocabularies every model shares."""
from __future__ import annotations

from sqlalchemy import Index, MetaData, text
from sqlalchemy.orm import DeclarativeBase

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


def partial_unique_index(name: str, *columns: str, where: str) -> Index:
    """A unique index over the rows matching `where`, the same on SQLite and PostgreSQL."""
    return Index(name, *columns, unique=True, sqlite_where=text(where), postgresql_where=text(where))
