"""Capacity: the places of a slot's pools, taken and given back by conditional UPDATEs only.

No pool can go over capacity whatever runs beside us: a place is taken by one
`UPDATE ... WHERE taken < capacity`, and the check constraint backs it. Slot rows
are locked in ascending id order, so ledger transactions never wait in a cycle.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from shared_db.errors import SlotUnavailable
from shared_db.models import Booking, FreedCapacity, Slot
from shared_db.types import utcnow

# Statuses whose bookings keep their capacity: the dose was or will be given there.
CAPACITY_STATUSES = ("held", "confirmed", "completed", "no_show")


def pools_for(channel: str) -> tuple[str, ...]:
    """Pools a channel may take from, in order of preference."""
    return {"phone": ("phone",), "online": ("online", "phone"), "agent": ("phone", "online")}[channel]


def take_place(session: Session, slot_id: int, channel: str, now: datetime) -> str:
    """Take one place in a slot for a channel; returns the pool used or raises SlotUnavailable."""
    for attempt in range(2):
        for pool in pools_for(channel):
            if _take_from_pool(session, slot_id, pool, channel, now):
                return pool
        # Lazily give back lapsed holds on this slot, then try once more.
        if attempt == 0 and not release_expired_holds(session, now, slot_id=slot_id):
            break
    raise SlotUnavailable(f"slot {slot_id} has no free place for channel {channel}")


def _take_from_pool(session: Session, slot_id: int, pool: str, channel: str, now: datetime) -> bool:
    taken, capacity = getattr(Slot, f"{pool}_taken"), getattr(Slot, f"{pool}_capacity")
    condition = [Slot.id == slot_id, taken < capacity, Slot.starts_at > now]
    if channel == "online" and pool == "phone":
        condition.append(Slot.phone_release_at <= now)  # the phone quota is protected until release
    result = session.execute(
        update(Slot).where(*condition).values({taken: taken + 1}).execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def give_back(session: Session, slot_id: int, pool: str) -> None:
    """Return one place to a pool; the check constraint forbids going below zero."""
    taken = getattr(Slot, f"{pool}_taken")
    result = session.execute(
        update(Slot).where(Slot.id == slot_id, taken > 0).values({taken: taken - 1})
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise RuntimeError(f"ledger out of step: slot {slot_id} pool {pool} has nothing to give back")


def lock_slots(session: Session, slot_ids) -> None:
    """Lock slot rows in ascending id order, so ledger transactions never wait on each other in a cycle."""
    ids = sorted({i for i in slot_ids if i is not None})
    if ids:
        session.execute(select(Slot.id).where(Slot.id.in_(ids)).order_by(Slot.id).with_for_update())


def _try_lock_slots(session: Session, slot_ids) -> bool:
    """Lock slot rows only if nobody else holds them; background releases never wait (no deadlocks)."""
    ids = {i for i in slot_ids if i is not None}
    got = session.scalars(select(Slot.id).where(Slot.id.in_(ids)).order_by(Slot.id)
                          .with_for_update(skip_locked=True)).all()
    return set(got) == ids


def free_booking_capacity(session: Session, booking: Booking, second_only: bool = False) -> list[tuple[int, str]]:
    """Give back the booking's places; a dose already given keeps its place (it was used)."""
    freed = []
    if not second_only and booking.first_given_at is None:
        give_back(session, booking.first_slot_id, booking.first_pool)
        freed.append((booking.first_slot_id, booking.first_pool))
    if booking.second_slot_id is not None and booking.second_given_at is None:
        give_back(session, booking.second_slot_id, booking.second_pool)
        freed.append((booking.second_slot_id, booking.second_pool))
    return freed


def record_freed(session: Session, freed: list[tuple[int, str]], reason: str, booking: Booking) -> None:
    """Freed places of real bookings become fill tasks for agents."""
    for slot_id, pool in freed:
        session.add(FreedCapacity(slot_id=slot_id, pool=pool, reason=reason, source_booking_id=booking.id))


def release_expired_holds(session: Session, now: datetime | None = None, slot_id: int | None = None,
                          limit: int = 500) -> int:
    """Expire lapsed holds (all, or those on one slot) and give their places back; returns how many."""
    now = now or utcnow()
    query = select(Booking).where(Booking.status == "held", Booking.hold_expires_at <= now)
    if slot_id is not None:
        query = query.where(or_(Booking.first_slot_id == slot_id, Booking.second_slot_id == slot_id))
    lapsed = session.scalars(query.order_by(Booking.id).limit(limit).with_for_update(skip_locked=True)).all()
    released = 0
    for booking in lapsed:
        if not _try_lock_slots(session, (booking.first_slot_id, booking.second_slot_id)):
            continue  # someone is booking on these slots right now: the next sweep gets it
        free_booking_capacity(session, booking)
        booking.status, booking.changed_by = "expired", "system"
        released += 1
    session.flush()
    return released
