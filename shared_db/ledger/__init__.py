"""The ledger: slots and their per-channel pools, holds, bookings, codes and paired doses.

`from shared_db import ledger` offers the changes every channel makes; the
modules hold the parts: capacity.py (pools and places), holds.py (the hot path),
bookings.py (confirm, cancel, rebook, outcome), pairing.py (which doses fit),
codes.py, slots.py and slot_import.py (creating slots), checks.py (consistency),
changes.py (the use cases: the change, its audit row and its message in one call).
"""
from shared_db.ledger.bookings import (
    Change,
    book,
    cancel,
    confirm,
    find_by_code,
    find_locked,
    mark_outcome,
    move_dose,
    rebook,
)
from shared_db.ledger.capacity import (
    CAPACITY_STATUSES,
    give_back,
    lock_slots,
    pools_for,
    release_expired_holds,
    take_place,
)
from shared_db.ledger.holds import hold

__all__ = [
    "Change", "book", "cancel", "confirm", "find_by_code", "find_locked", "mark_outcome", "move_dose", "rebook",
    "CAPACITY_STATUSES", "give_back", "lock_slots", "pools_for", "release_expired_holds", "take_place",
    "hold",
]
