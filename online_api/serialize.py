"""Plain JSON shapes of centres, slots, offers, holds and bookings (no personal data in them)."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from shared_db.ledger.pairing import Offer
from shared_db.models import Booking, Centre, Slot, Vaccine
from shared_db.people.eligibility import Assessment


def vaccine(v: Vaccine) -> dict:
    """A vaccine with its doses and interval."""
    return {"code": v.code, "name": v.name, "doses": v.doses,
            "interval_min_days": v.interval_min_days, "interval_max_days": v.interval_max_days}


def slot(s: Slot | None) -> dict | None:
    """A slot with its start in the centre's local time (with offset)."""
    if s is None:
        return None
    return {"slot_id": s.id, "starts_at": s.starts_at.astimezone(ZoneInfo(s.centre.timezone)).isoformat(),
            "duration_minutes": s.duration_minutes, "dose": s.dose}


def centre(c: Centre, relation: str, vaccines: list[Vaccine]) -> dict:
    """A centre, how it relates to the asked postcode, and the vaccines it offers."""
    return {"id": c.id, "name": c.name, "address": c.address, "city": c.city, "district": c.district,
            "relation": relation, "vaccines": [vaccine(v) for v in vaccines]}


def offer(o: Offer) -> dict:
    """A bookable first dose with its second."""
    return {"centre_id": o.first.centre_id, "vaccine": o.first.vaccine.code,
            "first": slot(o.first), "second": slot(o.second)}


def hold(b: Booking) -> dict:
    """A held pair and when the hold lapses."""
    return {"hold_id": b.id, "expires_at": b.hold_expires_at.isoformat(), "centre_id": b.first_slot.centre_id,
            "vaccine": b.first_slot.vaccine.code, "first": slot(b.first_slot), "second": slot(b.second_slot)}


def booking(b: Booking) -> dict:
    """A booking as the person may see it: code, state, place, vaccine, times; no personal data."""
    c = b.first_slot.centre
    return {"booking_code": b.code, "status": b.status, "channel": b.channel,
            "centre": {"id": c.id, "name": c.name, "address": c.address},
            "vaccine": vaccine(b.first_slot.vaccine), "first": slot(b.first_slot), "second": slot(b.second_slot)}


def assessment(a: Assessment) -> dict:
    """An eligibility answer; never the questions whose 'yes' would admit (the portal asks all it asks)."""
    reason = ("not_yet" if a.opens_on else "not_eligible") if a.reason == "questions" else a.reason
    return {"eligible": a.eligible, "reason": reason, "priority_group": a.group, "vaccines": list(a.vaccines),
            "opens_on": a.opens_on.isoformat() if a.opens_on else None, "questions": [],
            "centre_ids": sorted(a.centre_ids) if a.centre_ids is not None else None,
            "verification": a.verification}
