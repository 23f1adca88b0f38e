"""Creating slots: capacity split into pools, release time from the centre's setting."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from shared_db.models import Centre, Slot, Vaccine


def split_capacity(total: int, phone_share_percent: int) -> tuple[int, int]:
    """Phone and online capacity of a slot: the phone share rounded, at least one when any."""
    phone = round(total * phone_share_percent / 100)
    if phone == 0 and phone_share_percent > 0 and total > 1:
        phone = 1
    return phone, total - phone


def new_slot(centre: Centre, vaccine: Vaccine, starts_at: datetime, dose: str, phone_capacity: int,
             online_capacity: int, duration_minutes: int = 15) -> Slot:
    """A slot whose phone places open to the online channel `phone_release_hours` before it starts."""
    return Slot(centre_id=centre.id, vaccine_id=vaccine.id, starts_at=starts_at, dose=dose,
                duration_minutes=duration_minutes, phone_capacity=phone_capacity, phone_taken=0,
                online_capacity=online_capacity, online_taken=0,
                phone_release_at=starts_at - timedelta(hours=centre.phone_release_hours))


def add_slots(session: Session, slots: list[Slot]) -> int:
    """Add many slots in one flush."""
    session.add_all(slots)
    session.flush()
    return len(slots)
