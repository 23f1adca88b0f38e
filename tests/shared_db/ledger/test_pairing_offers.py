"""find_offers pairs each first dose with the earliest free fitting second dose, asking once per local day."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import event

from shared_db.ledger.pairing import find_offers, offer_for
from tests import builders as b

DAY = date(2021, 4, 6)


def test_earliest_free_second_in_the_window_is_offered(sessions):
    with sessions.begin() as s:
        v, c = b.vaccine(s, "BNT"), b.centre(s)
        tuesday = b.slot(s, c, v, b.local(DAY, 9))
        wednesday = b.slot(s, c, v, b.local(DAY + timedelta(days=1), 9))
        full = b.slot(s, c, v, b.local(DAY + timedelta(days=21), 8), "second", phone=1, online=1)
        full.phone_taken, full.online_taken = 1, 1
        free = b.slot(s, c, v, b.local(DAY + timedelta(days=21), 12), "second")
        s.flush()
        offers = find_offers(s, centre_ids=[c.id], channel="phone", now=b.NOW)
        # Tuesday's window opens on day 21 (the free noon slot); Wednesday's on day 22, where nothing is.
        assert [o.ids for o in offers] == [(tuesday.id, free.id)]
        assert wednesday.id not in {o.first.id for o in offers}
        assert offer_for(s, tuesday.id, "phone", b.NOW).second.id == free.id


def test_offers_load_one_second_dose_per_local_day(sessions):
    """Six weeks of free second doses exist; an offer list reads one of them, not all."""
    with sessions.begin() as s:
        v, c = b.vaccine(s, "BNT"), b.centre(s)
        for hour in (8, 9, 10, 11, 12, 13):
            b.slot(s, c, v, b.local(DAY, hour))
        for days in range(21, 43):
            for hour in (8, 9):
                b.slot(s, c, v, b.local(DAY + timedelta(days=days), hour), "second")
        s.flush()
        rows = []
        engine = s.get_bind()

        def count(conn, cursor, statement, *args):
            if statement.lstrip().upper().startswith("SELECT"):
                rows.append(cursor.rowcount)

        event.listen(engine, "after_cursor_execute", count)
        try:
            offers = find_offers(s, centre_ids=[c.id], channel="phone", now=b.NOW, limit=5)
        finally:
            event.remove(engine, "after_cursor_execute", count)
        assert len(offers) == 5 and len({o.second.id for o in offers}) == 1
        assert len(rows) <= 4  # the firsts, one second-dose lookup, at most the vaccine and the centre
        assert sum(r for r in rows if r > 0) <= 6 + 1 + 2


def test_offers_beyond_the_first_page_are_found_and_scan_still_bounds(sessions):
    """Twelve first doses whose second-dose days are full come first; the thirteenth pairs."""
    with sessions.begin() as s:
        v, c = b.vaccine(s, "BNT"), b.centre(s)
        for minute in range(12):
            b.slot(s, c, v, b.local(DAY, 8, minute))
        later = b.slot(s, c, v, b.local(DAY + timedelta(days=1), 9))
        second = b.slot(s, c, v, b.local(DAY + timedelta(days=1 + 42), 9), "second")  # only the later fits
        s.flush()
        offers = find_offers(s, centre_ids=[c.id], channel="phone", now=b.NOW, limit=1)
        assert [o.ids for o in offers] == [(later.id, second.id)]
        assert find_offers(s, centre_ids=[c.id], channel="phone", now=b.NOW, limit=1, scan=12) == []
