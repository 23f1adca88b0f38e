"""The booking calendar's figures: free first-dose places per local day, morning and afternoon, per channel."""
from __future__ import annotations

from datetime import date, timedelta

from shared_db.ledger.calendar import day_offers, free_days, vaccines_at
from tests import builders as b

DAY = date(2021, 4, 6)  # a Tuesday; b.NOW lies before it


def test_places_are_counted_per_local_day_split_at_noon(sessions):
    with sessions.begin() as s:
        v, c = b.vaccine(s, "BNT"), b.centre(s)
        b.slot(s, c, v, b.local(DAY, 8), phone=2, online=8)
        b.slot(s, c, v, b.local(DAY, 11, 59), phone=1, online=0)
        b.slot(s, c, v, b.local(DAY, 12), phone=0, online=3)
        b.slot(s, c, v, b.local(DAY, 8), "second", phone=5, online=5)  # second doses are not counted
        days = free_days(s, centre_id=c.id, vaccine_ids=[v.id], channel="agent", now=b.NOW, first_day=DAY, days=1)
        assert [(d.day, d.morning, d.afternoon, d.total) for d in days.values()] == [(DAY, 11, 3, 14)]


def test_the_first_and_the_last_day_of_the_range_count_and_the_days_around_do_not(sessions):
    with sessions.begin() as s:
        v, c = b.vaccine(s, "BNT"), b.centre(s)
        for offset in (-1, 0, 27, 28):
            b.slot(s, c, v, b.local(DAY + timedelta(days=offset), 23) if offset in (-1, 27)
                   else b.local(DAY + timedelta(days=offset), 0))
        days = free_days(s, centre_id=c.id, vaccine_ids=[v.id], channel="agent", now=b.NOW, first_day=DAY, days=28)
        assert list(days) == [DAY, DAY + timedelta(days=27)]


def test_full_slots_and_other_channels_pools_do_not_count(sessions):
    with sessions.begin() as s:
        v, c = b.vaccine(s, "BNT"), b.centre(s)
        full = b.slot(s, c, v, b.local(DAY, 9), phone=1, online=1)
        full.phone_taken, full.online_taken = 1, 1
        b.slot(s, c, v, b.local(DAY, 10), phone=2, online=8)
        s.flush()
        phone = free_days(s, centre_id=c.id, vaccine_ids=[v.id], channel="phone", now=b.NOW, first_day=DAY, days=1)
        agent = free_days(s, centre_id=c.id, vaccine_ids=[v.id], channel="agent", now=b.NOW, first_day=DAY, days=1)
        assert phone[DAY].total == 2 and agent[DAY].total == 10


def test_times_of_a_day_come_with_their_second_dose_and_no_other_days_times(sessions):
    with sessions.begin() as s:
        v, c = b.vaccine(s, "BNT"), b.centre(s)
        first, second = b.pair(s, c, v, DAY)
        b.pair(s, c, v, DAY + timedelta(days=1))
        offers = day_offers(s, centre_id=c.id, vaccine_ids=[v.id], channel="agent", now=b.NOW, day=DAY)
        assert [o.ids for o in offers] == [(first.id, second.id)]
        assert vaccines_at(s, c.id, b.NOW) == [v.id]


def test_a_time_at_midnight_belongs_to_its_day(sessions):
    with sessions.begin() as s:
        v, c = b.vaccine(s, "JJ"), b.centre(s)
        midnight = b.slot(s, c, v, b.local(DAY, 0))
        offers = day_offers(s, centre_id=c.id, vaccine_ids=[v.id], channel="agent", now=b.NOW, day=DAY)
        assert [o.first.id for o in offers] == [midnight.id]
