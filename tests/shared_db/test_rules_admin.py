"""Rules edited without SQL: each edit audited, and its preview is what saving does."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from shared_db import clock
from shared_db.errors import InvalidInput
from shared_db.models import AuditEntry, CampaignWindow, OpeningNotice
from shared_db.operations import rules_admin
from shared_db.people import notices
from shared_db.people.eligibility import Facts, assess, load_rules
from shared_db.types import utcnow
from tests import builders as b


def seventy_five() -> date:
    today = clock.today()
    return today.replace(year=today.year - 75) - timedelta(days=3)


def test_opening_a_group_is_previewed_then_saved_and_audited(sessions):
    today = clock.today()
    with sessions.begin() as s:
        b.vaccine(s)
        notices.ask(s, group=2, date_of_birth=seventy_five(), channel="sms", phone="+4915100000001")

        def edit(session):
            return rules_admin.add_window(session, "agent:9", group=2, opens_on=today)

        effect = rules_admin.preview(s, edit)
        assert (effect.notices_due, effect.notices_withdrawn) == (1, 0)
        assert s.scalar(select(func.count()).select_from(CampaignWindow)) == 0  # the preview saved nothing
        edit(s)
        assert assess(Facts(seventy_five()), load_rules(s), today, "phone").eligible
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.entity == "campaign_window")).all()
        assert (entry.actor, entry.action) == ("agent:9", "added")


def test_cancelling_the_last_window_shows_its_unbacked_bookings_and_withdraws_notices(sessions):
    today = clock.today()
    with sessions.begin() as s:
        booking = b.booked(s, vaccine="BNT")  # Erna Schmidt, born 1936: group 1
        w1 = rules_admin.add_window(s, "agent:9", group=1, opens_on=today - timedelta(days=30))
        w2 = rules_admin.add_window(s, "agent:9", group=2, opens_on=today + timedelta(days=5))
        notices.ask(s, group=2, date_of_birth=seventy_five(), channel="sms", phone="+4915100000001")
        effect = rules_admin.preview(s, lambda session: rules_admin.cancel_window(session, "agent:9", w1.id))
        assert effect.unbacked == (booking.code,) and effect.notices_withdrawn == 0
        assert rules_admin.preview(
            s, lambda session: rules_admin.cancel_window(session, "agent:9", w2.id)).notices_withdrawn == 1
        assert rules_admin.cancel_window(s, "agent:9", w2.id, utcnow()) == 1
        assert s.scalar(select(OpeningNotice.status)) == "withdrawn"
        with pytest.raises(InvalidInput):
            rules_admin.cancel_window(s, "agent:9", w2.id)


def test_moving_a_window_and_age_bands(sessions):
    today = clock.today()
    with sessions.begin() as s:
        b.vaccine(s)
        w = rules_admin.add_window(s, "agent:9", group=4, opens_on=today)
        rules_admin.move_window(s, "agent:9", w.id, opens_on=today + timedelta(days=1), closes_on=None)
        assert not assess(Facts(date(1990, 1, 1)), load_rules(s), today, "phone").eligible
        rules_admin.move_window(s, "agent:9", w.id, opens_on=today, closes_on=today)
        assert assess(Facts(date(1990, 1, 1)), load_rules(s), today, "phone").eligible
        band = rules_admin.add_band(s, "agent:9", vaccine="AZ", min_age=18, max_age=59, valid_from=today)
        assert "AZ" in assess(Facts(date(1990, 1, 1)), load_rules(s), today, "phone").vaccines
        rules_admin.end_band(s, "agent:9", band.id, today - timedelta(days=0))
        assert "AZ" in assess(Facts(date(1990, 1, 1)), load_rules(s), today, "phone").vaccines  # its last day
        rules_admin.end_band(s, "agent:9", band.id, today)
        with pytest.raises(InvalidInput):
            rules_admin.end_band(s, "agent:9", band.id, today - timedelta(days=1))
        with pytest.raises(InvalidInput):
            rules_admin.add_window(s, "agent:9", group=4, opens_on=today, closes_on=today - timedelta(days=1))
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.actor == "agent:9")).all()
        assert actions == ["added", "moved", "moved", "added", "ended", "ended"]
