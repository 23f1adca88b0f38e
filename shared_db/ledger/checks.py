"""Ledger consistency checks, used by tests, benchmarks and `hotline check`."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared_db.ledger import CAPACITY_STATUSES
from shared_db.models import Booking, Slot


def ledger_problems(session: Session) -> list[str]:
    """Every pool whose counter differs from the bookings that hold it, or exceeds its capacity."""
    held = Counter()
    rows = session.execute(select(Booking.first_slot_id, Booking.first_pool, Booking.second_slot_id,
                                  Booking.second_pool).where(Booking.status.in_(CAPACITY_STATUSES)))
    for first_id, first_pool, second_id, second_pool in rows:
        held[(first_id, first_pool)] += 1
        if second_id is not None:
            held[(second_id, second_pool)] += 1
    problems = []
    for slot in session.scalars(select(Slot)):
        for pool in ("phone", "online"):
            taken, capacity = getattr(slot, f"{pool}_taken"), getattr(slot, f"{pool}_capacity")
            if taken != held[(slot.id, pool)]:
                problems.append(f"slot {slot.id} {pool}: taken {taken} but {held[(slot.id, pool)]} bookings")
            if not 0 <= taken <= capacity:
                problems.append(f"slot {slot.id} {pool}: taken {taken} outside 0..{capacity}")
    return problems
