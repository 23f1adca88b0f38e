"""Read-only questions the portal asks: centres near a postcode, offers in a date range."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared_db.ledger.pairing import Offer, find_offers
from shared_db.models import Centre, CentrePostcode, Slot, Vaccine


def centres_near(session: Session, postcode: str, now: datetime) -> list[tuple[Centre, str, list[Vaccine]]]:
    """Active centres serving the postcode, then those of neighbouring districts, else of the same region."""
    home = list(session.scalars(select(Centre).join(CentrePostcode).where(
        CentrePostcode.postcode == postcode, Centre.active.is_(True)).order_by(Centre.id)))
    neighbour_districts = {d for c in home for d in c.neighbour_districts or []}
    seen = {c.id for c in home}
    found = [(c, "home") for c in home]
    if neighbour_districts:
        for c in session.scalars(select(Centre).where(Centre.district.in_(neighbour_districts),
                                                      Centre.active.is_(True)).order_by(Centre.id)):
            if c.id not in seen:
                found.append((c, "neighbour"))
                seen.add(c.id)
    if not found:  # no centre knows this postcode: offer those of the same two-digit postal region
        region = select(CentrePostcode.centre_id).where(CentrePostcode.postcode.startswith(postcode[:2]))
        found = [(c, "region") for c in session.scalars(
            select(Centre).where(Centre.id.in_(region), Centre.active.is_(True)).order_by(Centre.id))]
    vaccines = _vaccines_offered(session, [c.id for c, _ in found], now)
    return [(c, relation, vaccines.get(c.id, [])) for c, relation in found]


def _vaccines_offered(session: Session, centre_ids: list[int], now: datetime) -> dict[int, list[Vaccine]]:
    """Vaccines with future first-dose slots per centre."""
    if not centre_ids:
        return {}
    rows = session.execute(select(Slot.centre_id, Vaccine).join(Vaccine, Slot.vaccine_id == Vaccine.id).where(
        Slot.centre_id.in_(centre_ids), Slot.dose == "first", Slot.starts_at > now)
        .distinct().order_by(Slot.centre_id, Vaccine.code)).all()
    offered: dict[int, list[Vaccine]] = {}
    for centre_id, vaccine in rows:
        offered.setdefault(centre_id, []).append(vaccine)
    return offered


def offers_between(session: Session, centre: Centre, first_day: date, last_day: date, now: datetime,
                   vaccine_id: int | None, limit: int) -> list[Offer]:
    """Online-bookable pairs whose first dose falls on the centre's local days first_day..last_day."""
    zone = ZoneInfo(centre.timezone)
    after = datetime.combine(first_day, time(), zone) - timedelta(microseconds=1)
    before = datetime.combine(last_day + timedelta(days=1), time(), zone)
    return find_offers(session, centre_ids=[centre.id], channel="online", now=now,
                       vaccine_ids=[vaccine_id] if vaccine_id is not None else None,
                       after=max(after, now), before=before, limit=limit, scan=max(200, limit * 10))
