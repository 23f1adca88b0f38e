"""Mobile teams on both databases: one visit books the home's residents, all or none, without number limits."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from shared_db.errors import InvalidInput, SlotUnavailable
from shared_db.ledger import changes
from shared_db.models import Booking, CareHomeVisit
from tests import builders as b

DAY = date(2021, 4, 6)
RESIDENTS = "Erna Schmidt; 03.03.1931\nKarl Meier, 1929-07-21\n\nAyşe Yılmaz\t09.01.1934\nOtto Anders; 02.02.1930\n"


def _pair(s, capacity=10):
    v, c = b.vaccine(s, "BNT"), b.centre(s)
    return b.pair(s, c, v, DAY, phone=0, online=capacity)


def test_one_visit_books_every_resident_beyond_the_per_number_limit(sessions):
    with sessions.begin() as s:
        first, second = _pair(s)
        visit = changes.book_care_home_visit(s, first_slot_id=first.id, second_slot_id=second.id,
                                             home_name="Pflegeheim Sonnenhof", home_address="Sonnenweg 1, Bielefeld",
                                             residents_text=RESIDENTS, actor="agent:1", now=b.NOW)
    with sessions.begin() as s:
        booked = s.scalars(select(Booking).where(Booking.visit_id == visit.id)).all()
        assert len(booked) == 4 > 3  # more than HOTLINE_CALLER_LIMIT people, no number: no limit
        assert {x.status for x in booked} == {"confirmed"} and {x.caller_number for x in booked} == {None}
        assert {x.person.priority_group for x in booked} == {1}


def test_a_bad_line_rejects_the_list_with_its_number(sessions):
    with sessions.begin() as s:
        first, second = _pair(s)
    with pytest.raises(InvalidInput, match="line 2"), sessions.begin() as s:
        changes.book_care_home_visit(s, first_slot_id=first.id, second_slot_id=second.id, home_name="Heim",
                                     home_address="Weg 1", residents_text="Erna Schmidt; 03.03.1931\nKarl Meier\n",
                                     actor="agent:1", now=b.NOW)
    with sessions.begin() as s:
        assert s.scalar(select(func.count()).select_from(CareHomeVisit)) == 0


def test_all_or_none_when_places_run_out_or_a_resident_is_booked(sessions):
    with sessions.begin() as s:
        first, second = _pair(s, capacity=3)
        ids = dict(first_slot_id=first.id, second_slot_id=second.id)
    with pytest.raises(SlotUnavailable), sessions.begin() as s:  # four residents, three places
        changes.book_care_home_visit(s, **ids, home_name="Heim", home_address="Weg 1", residents_text=RESIDENTS,
                                     actor="agent:1", now=b.NOW)
    with sessions.begin() as s:
        assert s.scalar(select(func.count()).select_from(Booking).where(Booking.status == "confirmed")) == 0
        changes.book_care_home_visit(s, **ids, home_name="Heim", home_address="Weg 1",
                                     residents_text="Erna Schmidt; 03.03.1931", actor="agent:1", now=b.NOW)
    with pytest.raises(InvalidInput, match="line 1: already booked"), sessions.begin() as s:
        changes.book_care_home_visit(s, **ids, home_name="Heim", home_address="Weg 1",
                                     residents_text="Erna Schmidt; 03.03.1931", actor="agent:1", now=b.NOW)
