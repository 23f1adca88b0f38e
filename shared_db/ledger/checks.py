"""Ledger consistency checks, used by tests, benchmarks and `hotline check`."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from shared_db.ledger import CAPACITY_STATUSES
from shared_db.models import Booking, Slot


def ledger_problems(session: Session) -> list[str]:
    """Every pool whose counter differs from the bookings that hold it, or exceeds its capacity."""
    held = Counter()
    # A booking holds its places while it is live or done; a dose given keeps its place whatever came after.
    rows = session.execute(select(Booking.first_slot_id, Booking.first_pool, Booking.second_slot_id,
                                  Booking.second_pool, Booking.status.in_(CAPACITY_STATUSES),
                                  Booking.first_given_at.isnot(None), Booking.second_given_at.isnot(None))
                           .where(or_(Booking.status.in_(CAPACITY_STATUSES), Booking.first_given_at.isnot(None))))
    for first_id, first_pool, second_id, second_pool, live, first_given, second_given in rows:
        if live or first_given:
            held[(first_id, first_pool)] += 1
        if second_id is not None and (live or second_given):
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
