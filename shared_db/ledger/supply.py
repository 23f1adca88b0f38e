"""Supply: dose deliveries per centre, vaccine and week, and what a cut in supply does to slots and bookings.

Every place of a slot is one dose. A week's places of a vaccine at a centre may
not exceed the doses delivered or expected for that week once a delivery is
recorded: recording a smaller delivery takes free places away at once (latest
first, online before phone), and the slot import refuses rows above it. Places
already booked beyond a cut are left to the supervisor's bulk actions (cancel or
move, with a preview), which go through the use cases in `changes.py`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from shared_db import audit, clock
from shared_db.errors import InvalidInput
from shared_db.ledger.checkin import day_bounds
from shared_db.models import Booking, Centre, Delivery, Slot, Vaccine
from shared_db.types import utcnow

DELIVERY_STATES = ("expected", "delivered")


def week_start(day: date) -> date:
    """The Monday of a day's week (deliveries are weekly)."""
    return day - timedelta(days=day.weekday())


@dataclass
class WeekStock:
    """Doses against places for one centre, vaccine and week."""

    centre_id: int
    vaccine_id: int
    week_start: date
    doses: int | None  # None: no delivery recorded for the week
    status: str | None
    places: int
    booked: int

    @property
    def over(self) -> int:
        """Places beyond the doses (0 when within, or when no delivery is recorded)."""
        return 0 if self.doses is None else max(0, self.places - self.doses)


def _week_slots(centre: Centre, vaccine_id: int, monday: date):
    start, _ = day_bounds(monday, centre.timezone)
    _, end = day_bounds(monday + timedelta(days=6), centre.timezone)
    return (Slot.centre_id == centre.id, Slot.vaccine_id == vaccine_id, Slot.starts_at >= start, Slot.starts_at < end)


def week_stock(session: Session, centre: Centre, vaccine_id: int, monday: date) -> WeekStock:
    """Doses recorded for the week, and the places (and booked places) of the week's slots."""
    places, booked = session.execute(
        select(func.coalesce(func.sum(Slot.phone_capacity + Slot.online_capacity), 0),
               func.coalesce(func.sum(Slot.phone_taken + Slot.online_taken), 0))
        .where(*_week_slots(centre, vaccine_id, monday))).one()
    row = session.scalar(select(Delivery).where(Delivery.centre_id == centre.id, Delivery.vaccine_id == vaccine_id,
                                                Delivery.week_start == monday))
    return WeekStock(centre.id, vaccine_id, monday, row.doses if row else None, row.status if row else None,
                     int(places), int(booked))


def stock_table(session: Session, today: date, weeks: int = 6) -> list[WeekStock]:
    """Stock against places for every centre and vaccine with slots, from this week on."""
    first = week_start(today)
    pairs = session.execute(select(Slot.centre_id, Slot.vaccine_id).distinct()
                            .order_by(Slot.centre_id, Slot.vaccine_id)).all()
    centres = {c.id: c for c in session.scalars(select(Centre))}
    return [week_stock(session, centres[c], v, first + timedelta(weeks=w)) for c, v in pairs for w in range(weeks)]


def record_delivery(session: Session, *, centre_id: int, vaccine_id: int, week: date, doses: int, status: str,
                    actor: str) -> tuple[Delivery, int]:
    """Record the doses expected or delivered for a week; free places above them are taken away at once.

    Returns the delivery and how many free places were removed.
    """
    if doses < 0:
        raise InvalidInput("doses", "zero or more")
    if status not in DELIVERY_STATES:
        raise InvalidInput("status", "expected or delivered")
    centre = session.get(Centre, centre_id)
    if centre is None or session.get(Vaccine, vaccine_id) is None:
        raise InvalidInput("centre_id", "unknown centre or vaccine")
    monday = week_start(week)
    row = session.scalar(select(Delivery).where(Delivery.centre_id == centre_id, Delivery.vaccine_id == vaccine_id,
                                                Delivery.week_start == monday).with_for_update())
    before = {"doses": row.doses, "status": row.status} if row else None
    if row is None:
        row = Delivery(centre_id=centre_id, vaccine_id=vaccine_id, week_start=monday, doses=doses, status=status,
                       updated_by=actor)
        session.add(row)
    row.doses, row.status, row.updated_at, row.updated_by = doses, status, utcnow(), actor
    session.flush()
    removed = fit_places_to_doses(session, centre, vaccine_id, monday)
    audit.record(session, actor, "delivery", row.id, "delivery_recorded", before,
                 {"doses": doses, "status": status, "week": monday.isoformat(), "places_removed": removed})
    return row, removed


def fit_places_to_doses(session: Session, centre: Centre, vaccine_id: int, monday: date) -> int:
    """Take free places away, latest slots first, until the week's places fit its doses; returns how many."""
    stock = week_stock(session, centre, vaccine_id, monday)
    return remove_free_places(session, _week_slots(centre, vaccine_id, monday), stock.over)


def remove_free_places(session: Session, where, count: int | None) -> int:
    """Remove up to `count` free places (all free places when None) from the matching slots, latest first."""
    removed = 0
    slots = session.scalars(select(Slot).where(*where).order_by(Slot.starts_at.desc(), Slot.id.desc())
                            .with_for_update()).all()
    for slot in slots:
        for pool in ("online", "phone"):
            if count is not None and removed >= count:
                return removed
            removed += _shrink(session, slot.id, pool, None if count is None else count - removed)
    return removed


def _shrink(session: Session, slot_id: int, pool: str, at_most: int | None) -> int:
    """Lower one pool's capacity by its free places (or at most `at_most`), by one conditional UPDATE."""
    capacity, taken = getattr(Slot, f"{pool}_capacity"), getattr(Slot, f"{pool}_taken")
    free = session.scalar(select(capacity - taken).where(Slot.id == slot_id)) or 0
    cut = free if at_most is None else min(free, at_most)
    if cut <= 0:
        return 0
    result = session.execute(update(Slot).where(Slot.id == slot_id, capacity - taken >= cut)
                             .values({capacity: capacity - cut}).execution_options(synchronize_session=False))
    return cut if result.rowcount == 1 else 0


def over_stock(session: Session, centre_id: int, vaccine_id: int, starts_at: datetime, extra: int) -> WeekStock | None:
    """The week's stock if `extra` more places at this time would exceed its recorded doses, else None."""
    centre = session.get(Centre, centre_id)
    stock = week_stock(session, centre, vaccine_id, week_start(clock.local_date(starts_at, centre.timezone)))
    if stock.doses is not None and stock.places + extra > stock.doses:
        return stock
    return None


# --------------------------------------------------------------------------- bulk actions: the scope and its preview


@dataclass(frozen=True)
class Scope:
    """The supervisor's choice: one centre, a range of local days (both included), one vaccine."""

    centre_id: int
    vaccine_id: int
    first_day: date
    last_day: date

    def check(self) -> None:
        if self.last_day < self.first_day:
            raise InvalidInput("last_day", "on or after the first day")
        if (self.last_day - self.first_day).days > 62:
            raise InvalidInput("last_day", "at most 63 days at once")


@dataclass
class Preview:
    """What a bulk action would touch, counted before anything changes."""

    bookings: list[int] = field(default_factory=list)  # first dose in the range, not yet given
    second_doses: int = 0  # second doses in the range: kept (people half vaccinated come first)
    free_places: int = 0
    free_after: int = 0  # free first-dose places at the centre and its neighbours after the range, for a move


def scope_slots(session: Session, scope: Scope):
    """Conditions for the scope's slots."""
    centre = session.get(Centre, scope.centre_id)
    start, _ = day_bounds(scope.first_day, centre.timezone)
    _, end = day_bounds(scope.last_day, centre.timezone)
    return (Slot.centre_id == scope.centre_id, Slot.vaccine_id == scope.vaccine_id, Slot.starts_at >= start,
            Slot.starts_at < end)


def preview(session: Session, scope: Scope, now: datetime) -> Preview:
    """Count the bookings, second doses and free places in the scope."""
    scope.check()
    where = scope_slots(session, scope)
    in_range = select(Slot.id).where(*where, Slot.starts_at > now)
    result = Preview()
    result.bookings = list(session.scalars(
        select(Booking.id).where(Booking.status == "confirmed", Booking.first_given_at.is_(None),
                                 Booking.first_slot_id.in_(in_range)).order_by(Booking.id)))
    result.second_doses = session.scalar(select(func.count()).select_from(Booking).where(
        Booking.status == "confirmed", Booking.second_given_at.is_(None), Booking.second_slot_id.in_(in_range))) or 0
    result.free_places = int(session.scalar(select(func.coalesce(func.sum(
        Slot.phone_capacity - Slot.phone_taken + Slot.online_capacity - Slot.online_taken), 0))
        .where(*where, Slot.starts_at > now)) or 0)
    result.free_after = int(session.scalar(select(func.coalesce(func.sum(
        Slot.phone_capacity - Slot.phone_taken + Slot.online_capacity - Slot.online_taken), 0))
        .where(and_(Slot.centre_id.in_(move_centres(session, scope.centre_id)), Slot.vaccine_id == scope.vaccine_id,
                    Slot.dose == "first", Slot.starts_at >= scope_end(session, scope)))) or 0)
    return result


def scope_end(session: Session, scope: Scope) -> datetime:
    """The first moment after the scope's last day at its centre."""
    return day_bounds(scope.last_day, session.get(Centre, scope.centre_id).timezone)[1]


def move_centres(session: Session, centre_id: int) -> list[int]:
    """The centre first, then the active centres of its neighbouring districts."""
    centre = session.get(Centre, centre_id)
    neighbours = session.scalars(select(Centre.id).where(Centre.district.in_(centre.neighbour_districts or []),
                                                         Centre.active.is_(True), Centre.id != centre_id)
                                 .order_by(Centre.id))
    return [centre_id, *neighbours]
