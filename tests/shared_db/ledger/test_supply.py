"""Supply on both databases: deliveries cap the week's places, bulk reduce, cancel and move with notices."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from shared_db.errors import InvalidInput
from shared_db.ledger import changes, supply
from shared_db.ledger.checks import ledger_problems
from shared_db.models import AuditEntry, Booking, FreedCapacity, Notification, Slot
from tests import builders as b

DAY = date(2021, 4, 6)  # a Tuesday; its week starts on Monday 5 April


def _places(s, centre_id, day_from, day_to) -> int:
    start, end = b.local(day_from, 0), b.local(day_to + timedelta(days=1), 0)
    return s.scalar(select(func.sum(Slot.phone_capacity + Slot.online_capacity)).where(
        Slot.centre_id == centre_id, Slot.dose == "first", Slot.starts_at >= start, Slot.starts_at < end)) or 0


def _world(s):
    v = b.vaccine(s, "BNT")
    home = b.centre(s, "Impfzentrum Bielefeld", neighbours=("Gütersloh",))
    near = b.centre(s, "Impfzentrum Gütersloh", district="Gütersloh", postcodes=("33330",))
    for centre in (home, near):
        for offset in range(0, 10):
            b.pair(s, centre, v, DAY + timedelta(days=offset), phone=1, online=1)
    return v, home, near


def _book(s, first_id, second_id, name):
    return changes.book_now(s, first_slot_id=first_id, second_slot_id=second_id,
                            details=b.details(name=name, phone=f"+4915112345{len(name):03d}"), channel="agent",
                            actor="agent:1", now=b.NOW)


def test_a_smaller_delivery_takes_free_places_away_latest_first(sessions):
    with sessions.begin() as s:
        v, home, _ = _world(s)
        first = s.scalar(select(Slot).where(Slot.centre_id == home.id, Slot.dose == "first").order_by(Slot.starts_at))
        _book(s, first.id, None if v.doses == 1 else s.scalar(select(Slot.id).where(
            Slot.centre_id == home.id, Slot.dose == "second").order_by(Slot.starts_at)), "Erna Schmidt")
        week = supply.week_stock(s, home, v.id, supply.week_start(DAY))
        assert (week.places, week.doses) == (2 * 6, None)  # Tue..Sun first doses of the week, 2 places each
        removed = changes.record_delivery(s, centre_id=home.id, vaccine_id=v.id, week=DAY, doses=5,
                                          status="expected", actor="agent:9")
    with sessions.begin() as s:
        week = supply.week_stock(s, home, v.id, supply.week_start(DAY))
        assert removed == 12 - 5 and (week.places, week.doses, week.over) == (5, 5, 0)
        assert _places(s, home.id, DAY, DAY) == 2  # the earliest day keeps its places, the booked one included
        assert ledger_problems(s) == []


def test_a_delivery_below_the_booked_places_keeps_every_booking(sessions):
    with sessions.begin() as s:
        v, home, _ = _world(s)
        first = s.scalar(select(Slot).where(Slot.centre_id == home.id, Slot.dose == "first").order_by(Slot.starts_at))
        second = s.scalar(select(Slot).where(Slot.centre_id == home.id, Slot.dose == "second").order_by(Slot.starts_at))
        _book(s, first.id, second.id, "Erna Schmidt")
        changes.record_delivery(s, centre_id=home.id, vaccine_id=v.id, week=DAY, doses=0, status="delivered",
                                actor="agent:9")
    with sessions.begin() as s:
        week = supply.week_stock(s, home, v.id, supply.week_start(DAY))
        assert (week.places, week.booked, week.over) == (1, 1, 1)  # the supervisor's bulk actions take it from here
        assert s.scalar(select(Booking.status)) == "confirmed"


def _booked_range(s):
    v, home, near = _world(s)
    firsts = s.scalars(select(Slot).where(Slot.centre_id == home.id, Slot.dose == "first")
                       .order_by(Slot.starts_at)).all()
    seconds = s.scalars(select(Slot).where(Slot.centre_id == home.id, Slot.dose == "second")
                        .order_by(Slot.starts_at)).all()
    people = [_book(s, firsts[i].id, seconds[i].id, name) for i, name in enumerate(("Erna Schmidt", "Karl Meier"))]
    return v, home, near, people


def test_preview_counts_and_changes_nothing(sessions):
    with sessions.begin() as s:
        v, home, _, people = _booked_range(s)
        scope = supply.Scope(home.id, v.id, DAY, DAY + timedelta(days=1))
        view = supply.preview(s, scope, b.NOW)
        assert sorted(view.bookings) == sorted(p.id for p in people)
        assert view.free_places == 2 * 2 - 2 and view.second_doses == 0 and view.free_after > 0
    with sessions.begin() as s:
        assert s.scalar(select(func.count()).select_from(Booking).where(Booking.status == "confirmed")) == 2
        assert s.scalar(select(func.count()).select_from(Notification).where(
            Notification.kind.in_(("cancelled_supply", "moved_supply")))) == 0


def test_reduce_capacity_removes_free_places_only_and_is_audited(sessions):
    with sessions.begin() as s:
        v, home, _, people = _booked_range(s)
        scope = supply.Scope(home.id, v.id, DAY, DAY + timedelta(days=1))
        assert changes.reduce_capacity(s, scope, actor="agent:9", reason="Lieferung gekürzt", now=b.NOW) == 2
    with sessions.begin() as s:
        assert _places(s, home.id, DAY, DAY + timedelta(days=1)) == 2  # the two booked places
        assert s.scalar(select(AuditEntry.action).where(AuditEntry.entity == "centre")) == "capacity_reduced"
        assert ledger_problems(s) == []


def test_cancel_range_tells_each_person_and_leaves_no_fill_task_in_the_range(sessions):
    with sessions.begin() as s:
        v, home, _, people = _booked_range(s)
        scope = supply.Scope(home.id, v.id, DAY, DAY + timedelta(days=1))
        done = changes.cancel_range(s, scope, actor="agent:9", reason="Lieferung gekürzt", now=b.NOW)
        assert len(done) == 2
    with sessions.begin() as s:
        texts = s.scalars(select(Notification.body).where(Notification.kind == "cancelled_supply")).all()
        assert len(texts) == 2 and all("weniger Impfstoff" in t for t in texts)
        assert _places(s, home.id, DAY, DAY + timedelta(days=1)) == 0
        open_tasks = s.scalars(select(FreedCapacity).where(FreedCapacity.status == "open")).all()
        assert [t.slot.dose for t in open_tasks] == ["second", "second"]  # second-dose places can be refilled
        assert ledger_problems(s) == []


def test_move_range_moves_to_the_next_free_pair_after_it_with_the_new_time(sessions):
    with sessions.begin() as s:
        v, home, near, people = _booked_range(s)
        scope = supply.Scope(home.id, v.id, DAY, DAY + timedelta(days=8))  # home has only day 9 left
        moved, cancelled = changes.move_range(s, scope, actor="agent:9", reason="Lieferung gekürzt", now=b.NOW)
        assert (len(moved), len(cancelled)) == (2, 0)
    with sessions.begin() as s:
        rows = s.scalars(select(Booking).order_by(Booking.id)).all()
        centres = [r.first_slot.centre_id for r in rows]
        assert centres == [home.id, home.id]  # the centre's own last day still had two places
        assert all(r.first_slot.starts_at >= b.local(DAY + timedelta(days=9), 0) for r in rows)
        notices = s.scalars(select(Notification).where(Notification.kind == "moved_supply")).all()
        assert len(notices) == 2 and all("weniger Impfstoff" in n.body for n in notices)
        assert ledger_problems(s) == []


def test_move_goes_to_a_neighbour_when_the_centre_is_full_and_cancels_when_none_is_left(sessions):
    with sessions.begin() as s:
        v, home, near, people = _booked_range(s)
        scope = supply.Scope(home.id, v.id, DAY, DAY + timedelta(days=8))
        last_day = b.local(DAY + timedelta(days=9), 0)
        for slot in s.scalars(select(Slot).where(Slot.dose == "first")):
            if slot.centre_id == home.id and slot.starts_at >= last_day:
                slot.phone_capacity = slot.online_capacity = 0  # the centre is full after the range
            if slot.centre_id == near.id:  # the neighbour has one place, on the day after the range
                slot.phone_capacity, slot.online_capacity = (1, 0) if slot.starts_at >= last_day else (0, 0)
        s.flush()
        moved, cancelled = changes.move_range(s, scope, actor="agent:9", reason="Lieferung gekürzt", now=b.NOW)
        assert [m.first_slot.centre_id for m in moved] == [near.id] and len(cancelled) == 1
    with sessions.begin() as s:
        kinds = sorted(s.scalars(select(Notification.kind).where(Notification.kind.like("%supply"))))
        assert kinds == ["cancelled_supply", "moved_supply"]


def test_scope_is_checked(sessions):
    with sessions.begin() as s, pytest.raises(InvalidInput):
        supply.preview(s, supply.Scope(1, 1, DAY, DAY - timedelta(days=1)), b.NOW)
