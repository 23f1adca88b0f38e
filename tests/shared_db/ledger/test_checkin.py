"""Check-in at the centre on both databases: doses given with their batch, turned away, no-shows, reopening."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from shared_db import ledger
from shared_db.errors import InvalidInput, InvalidTransition, NeedsAgent, PersonAlreadyBooked
from shared_db.ledger import changes
from shared_db.ledger.checks import ledger_problems
from shared_db.models import Booking, FreedCapacity, Setting
from tests import builders as b

DAY = date(2021, 4, 6)


def _consistent(sessions) -> bool:
    """The ledger check, read fresh (a session's loaded slots do not see the counters' conditional updates)."""
    with sessions() as fresh:
        assert ledger_problems(fresh) == []
    return True


def _booked(session, code="BNT", name="Erna Schmidt", day=DAY):
    v, c = b.vaccine(session, code), b.centre(session, name=f"Impfzentrum {name}")
    first, second = b.pair(session, c, v, day)
    return ledger.book(session, first_slot_id=first.id, second_slot_id=second.id if second else None,
                       details=b.details(name=name), channel="phone", actor="call:CA1", now=b.NOW)


def test_first_dose_keeps_the_second_and_the_last_completes(sessions):
    with sessions.begin() as s:
        booking = _booked(s)
        first_at, second_at = booking.first_slot.starts_at, booking.second_slot.starts_at
        changes.give_dose(s, booking.id, dose="first", batch="ex1234 ", actor="centre:1", now=first_at)
        assert (booking.status, booking.first_batch, booking.second_slot_id is not None) == \
            ("confirmed", "EX1234", True)
        assert booking.ended_at is None
    with sessions.begin() as s:
        changes.give_dose(s, booking.id, dose="second", batch="FA5678", actor="centre:1", now=second_at)
    with sessions.begin() as s:
        done = s.get(Booking, booking.id)
        assert (done.status, done.second_batch, done.ended_at) == ("completed", "FA5678", second_at)
    assert _consistent(sessions)

def test_single_dose_vaccine_completes_at_once_and_repeat_changes_nothing(sessions):
    with sessions.begin() as s:
        booking = _booked(s, code="JJ")
        at = booking.first_slot.starts_at
        changes.give_dose(s, booking.id, dose="first", batch="JJ1", actor="centre:1", now=at)
        assert booking.status == "completed"
        changes.give_dose(s, booking.id, dose="first", batch="JJ1", actor="centre:1", now=at)  # double click
        with pytest.raises(InvalidTransition):
            changes.give_dose(s, booking.id, dose="first", batch="OTHER", actor="centre:1", now=at)


def test_dose_only_on_its_own_day_and_with_a_batch(sessions):
    with sessions.begin() as s:
        booking = _booked(s)
        at = booking.first_slot.starts_at
        with pytest.raises(InvalidInput):
            changes.give_dose(s, booking.id, dose="first", batch="  ", actor="centre:1", now=at)
        for wrong_day in (at - timedelta(days=1), at + timedelta(days=1)):
            with pytest.raises(InvalidTransition):
                changes.give_dose(s, booking.id, dose="first", batch="EX1", actor="centre:1", now=wrong_day)
        with pytest.raises(InvalidTransition):  # the second before the first
            changes.give_dose(s, booking.id, dose="second", batch="EX1", actor="centre:1", now=at)
        # First and last minute of the local day (Berlin, summer time: UTC+2).
        start_of_day = b.local(DAY, 0, 0)
        changes.give_dose(s, booking.id, dose="first", batch="EX1", actor="centre:1", now=start_of_day)
        assert booking.first_given_at == start_of_day


def test_turned_away_frees_both_places_as_fill_tasks(sessions):
    with sessions.begin() as s:
        booking = _booked(s)
        changes.turn_away(s, booking.id, reason="Fieber", actor="centre:1", now=booking.first_slot.starts_at)
    with sessions.begin() as s:
        gone = s.get(Booking, booking.id)
        assert (gone.status, gone.cancel_reason) == ("cancelled", "Fieber")
        assert sorted(t.reason for t in s.scalars(select(FreedCapacity))) == ["turned_away", "turned_away"]
    assert _consistent(sessions)

def test_turned_away_at_the_second_dose_keeps_the_first_place(sessions):
    with sessions.begin() as s:
        booking = _booked(s)
        changes.give_dose(s, booking.id, dose="first", batch="EX1", actor="centre:1", now=booking.first_slot.starts_at)
        changes.turn_away(s, booking.id, reason="Allergie", actor="centre:1", now=booking.second_slot.starts_at)
        assert [t.slot_id for t in s.scalars(select(FreedCapacity))] == [booking.second_slot_id]
    assert _consistent(sessions)

def test_end_of_day_makes_no_shows_and_frees_second_doses(sessions):
    with sessions.begin() as s:
        missed, came = _booked(s), _booked(s, name="Karl Meier")
        changes.give_dose(s, came.id, dose="first", batch="EX1", actor="centre:1", now=came.first_slot.starts_at)
        centre_id, second_id = missed.first_slot.centre_id, missed.second_slot_id
        other_centre = came.first_slot.centre_id
    before_closing, at_closing = b.local(DAY, 19, 59), b.local(DAY, 20, 0)
    with sessions.begin() as s:
        assert changes.close_centre_days(s, centre_id, now=before_closing) == []
    with sessions.begin() as s:
        [closed] = changes.close_centre_days(s, centre_id, now=at_closing)
        assert closed.id == missed.id and closed.status == "no_show" and closed.second_slot_id is None
        assert changes.close_centre_days(s, centre_id, now=at_closing) == []  # a second run finds nothing
        assert changes.close_centre_days(s, other_centre, now=at_closing) == []  # first dose given: still open
        task = s.scalar(select(FreedCapacity))
        assert (task.slot_id, task.reason) == (second_id, "no_show")
    assert _consistent(sessions)

def test_closing_hour_is_a_setting(sessions):
    with sessions.begin() as s:
        missed = _booked(s)
        s.add(Setting(key="checkin.closing_hour", value=14))
        centre_id = missed.first_slot.centre_id
    with sessions.begin() as s:
        assert changes.close_centre_days(s, centre_id, now=b.local(DAY, 13, 59)) == []
        assert len(changes.close_centre_days(s, centre_id, now=b.local(DAY, 14, 0))) == 1


def test_reopen_takes_the_second_place_back_the_same_day(sessions):
    with sessions.begin() as s:
        booking = _booked(s)
        second_id = booking.second_slot_id
        changes.close_centre_days(s, booking.first_slot.centre_id, now=b.local(DAY, 20, 0))
        changes.reopen_no_show(s, booking.id, actor="centre:1", reason="kam zu spät", now=b.local(DAY, 20, 10))
    with sessions.begin() as s:
        again = s.get(Booking, booking.id)
        assert (again.status, again.second_slot_id, again.ended_at) == ("confirmed", second_id, None)
        assert s.scalar(select(FreedCapacity.status)) == "lapsed"
        with pytest.raises(InvalidTransition):  # the next day is too late
            changes.close_centre_days(s, again.first_slot.centre_id, now=b.local(DAY, 21, 0))
            changes.reopen_no_show(s, again.id, actor="centre:1", reason="x", now=b.local(DAY + timedelta(1), 8))
    assert _consistent(sessions)

def test_reopen_refused_when_the_second_place_was_given_away(sessions):
    with sessions.begin() as s:
        booking = _booked(s)
        changes.close_centre_days(s, booking.first_slot.centre_id, now=b.local(DAY, 20, 0))
        s.scalar(select(FreedCapacity)).status = "filled"
        with pytest.raises(InvalidTransition, match="second_dose_gone"):
            changes.reopen_no_show(s, booking.id, actor="centre:1", reason="x", now=b.local(DAY, 20, 10))


def test_finished_bookings_no_longer_block_booking_again(sessions):
    with sessions.begin() as s:
        booking = _booked(s)
        v, c = booking.first_slot.vaccine, booking.first_slot.centre
        later, later_second = b.pair(s, c, v, DAY + timedelta(days=7))
        ids = dict(first_slot_id=later.id, second_slot_id=later_second.id)
    with pytest.raises(PersonAlreadyBooked), sessions.begin() as s:  # still open: blocks
        ledger.book(s, **ids, details=b.details(), channel="phone", actor="call:CA2", now=b.NOW)
    with sessions.begin() as s:
        changes.close_centre_days(s, booking.first_slot.centre_id, now=b.local(DAY, 20, 0))
    with sessions.begin() as s:
        again = ledger.book(s, **ids, details=b.details(), channel="phone", actor="call:CA2", now=b.NOW)
        assert again.status == "confirmed"


def test_no_show_needs_an_agent_by_setting(sessions):
    with sessions.begin() as s:
        booking = _booked(s)
        v, c = booking.first_slot.vaccine, booking.first_slot.centre
        later, later_second = b.pair(s, c, v, DAY + timedelta(days=7))
        ids = dict(first_slot_id=later.id, second_slot_id=later_second.id)
        changes.close_centre_days(s, c.id, now=b.local(DAY, 20, 0))
        s.add(Setting(key="rebooking.no_show_needs_agent", value=1))
    with pytest.raises(NeedsAgent), sessions.begin() as s:
        changes.book_now(s, **ids, details=b.details(), channel="online", actor="api:1", now=b.NOW)
    with sessions.begin() as s:
        by_agent = changes.book_now(s, **ids, details=b.details(), channel="agent", actor="agent:1", now=b.NOW)
        assert by_agent.status == "confirmed"
