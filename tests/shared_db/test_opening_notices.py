"""'Tell me when my group opens': follows the opening date, withdrawn with the window, spread over the morning."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from shared_db import clock
from shared_db.models import CallbackRequest, CampaignWindow, Notification, OpeningNotice, PriorityGroup
from shared_db.people import notices
from tests import builders as b

OPENS = date(2021, 4, 6)  # "Bookings for 79-year-olds open on Tuesday, 6 April"
BORN = date(1942, 1, 10)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, datetime.min.time(), clock.zone()).replace(hour=hour, minute=minute)


def window(s, opens: date = OPENS) -> CampaignWindow:
    b.vaccine(s)
    group = s.scalar(select(PriorityGroup.id).where(PriorityGroup.number == 2))
    w = CampaignWindow(group_id=group, opens_on=opens, channels="phone,online,agent")
    s.add(w)
    s.flush()
    return w


def ask_many(s, count: int) -> None:
    for i in range(count):
        notices.ask(s, group=2, date_of_birth=BORN, channel="sms", phone=f"+49151000000{i:02d}",
                    now=at(OPENS - timedelta(days=3), 10))


def test_asking_twice_keeps_one_notice(sessions):
    with sessions.begin() as s:
        window(s)
        ask_many(s, 1)
        ask_many(s, 1)
        assert len(s.scalars(select(OpeningNotice)).all()) == 1


def test_nothing_goes_out_the_day_before_the_window_opens(sessions):
    with sessions.begin() as s:
        window(s)
        ask_many(s, 4)
        assert notices.send_due(s, "0521 1", at(OPENS - timedelta(days=1), 13))["sent"] == 0


def test_the_notices_are_spread_from_eight_to_noon_on_the_opening_day(sessions):
    with sessions.begin() as s:
        window(s)
        ask_many(s, 8)
        sent = [notices.send_due(s, "0521 1", at(OPENS, h, m))["sent"]
                for h, m in ((7, 59), (8, 0), (9, 0), (10, 0), (11, 0), (11, 59), (12, 0), (13, 0))]
        assert sent == [0, 0, 2, 2, 2, 2, 0, 0]  # all eight out by 11:59 (rounded up), none left at noon
        texts = s.scalars(select(Notification.body)).all()
        assert len(texts) == 8 and all("0521 1" in t for t in texts)


def test_a_moved_opening_date_moves_the_notice(sessions):
    with sessions.begin() as s:
        w = window(s)
        ask_many(s, 1)
        w.opens_on = OPENS + timedelta(days=7)  # the ministry moved the date after the caller asked
        s.flush()
        assert notices.send_due(s, "0521 1", at(OPENS, 12))["sent"] == 0
        assert notices.send_due(s, "0521 1", at(OPENS + timedelta(days=7), 12))["sent"] == 1


def test_a_cancelled_window_withdraws_its_notices(sessions):
    with sessions.begin() as s:
        w = window(s)
        ask_many(s, 2)
        w.cancelled_at = at(OPENS - timedelta(days=1), 9)
        s.flush()
        assert notices.send_due(s, "0521 1", at(OPENS, 12)) == {"sent": 0, "withdrawn": 2, "due_later_today": 0}
        assert {n.status for n in s.scalars(select(OpeningNotice))} == {"withdrawn"}


@pytest.mark.parametrize("channel", ["callback", "email"])
def test_a_callback_or_an_email_instead_of_an_sms(sessions, channel):
    with sessions.begin() as s:
        window(s)
        notices.ask(s, group=2, date_of_birth=BORN, channel=channel, phone="+49521123456" if channel == "callback"
                    else None, email="erna@example.org" if channel == "email" else None)
        assert notices.send_due(s, "0521 1", at(OPENS, 12))["sent"] == 1
        if channel == "callback":
            assert s.scalar(select(CallbackRequest.reason)) == "group_open"
        else:
            assert s.scalar(select(Notification.to_email)) == "erna@example.org"


def test_answered_notices_are_deleted_by_the_purge_waiting_ones_kept(sessions):
    from shared_db.operations.retention import purge

    with sessions.begin() as s:
        window(s)
        ask_many(s, 2)
        notices.send_due(s, "0521 1", at(OPENS, 12))
        notices.ask(s, group=2, date_of_birth=BORN, channel="sms", phone="+4915100000099", now=at(OPENS, 13))
        purge(s, now=at(OPENS + timedelta(days=20), 3))
        assert [n.phone for n in s.scalars(select(OpeningNotice))] == ["+4915100000099"]
