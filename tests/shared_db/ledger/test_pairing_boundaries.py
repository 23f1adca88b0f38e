"""The second dose's interval at its very edges: the first and the last minute of its first and last local day."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

import pytest

from shared_db.errors import InvalidInput, SlotUnavailable
from shared_db.ledger.pairing import check_pair, find_offers, offer_for, second_dose_window, validate_pair
from tests import builders as b

FIRST_DAY = date(2021, 4, 6)
BNT = SimpleNamespace(name="BNT", doses=2, interval_min_days=21, interval_max_days=42)
TZ = "Europe/Berlin"


def at(day: date, hh: int, mm: int) -> datetime:
    return datetime.combine(day, time(hh, mm), b.BERLIN)


def slot(dose: str, starts_at: datetime, centre_id: int = 1, vaccine_id: int = 1):
    return SimpleNamespace(dose=dose, starts_at=starts_at, centre_id=centre_id, vaccine_id=vaccine_id)


EDGES = [
    (at(FIRST_DAY + timedelta(days=20), 23, 59), False),  # the last minute before the interval
    (at(FIRST_DAY + timedelta(days=21), 0, 0), True),  # its first minute
    (at(FIRST_DAY + timedelta(days=42), 23, 59), True),  # its last minute
    (at(FIRST_DAY + timedelta(days=43), 0, 0), False),  # the first minute after it
]


@pytest.mark.parametrize("second_at, ok", EDGES)
def test_the_pair_rule_at_the_edges_of_the_interval(second_at, ok):
    first = slot("first", at(FIRST_DAY, 19, 30))
    if ok:
        validate_pair(first, BNT, TZ, slot("second", second_at), 2)
    else:
        with pytest.raises(InvalidInput):
            validate_pair(first, BNT, TZ, slot("second", second_at), 2)


def test_the_window_is_whole_local_days():
    lo, hi = second_dose_window(at(FIRST_DAY, 23, 59), BNT, TZ)
    assert (lo, hi) == (at(FIRST_DAY + timedelta(days=21), 0, 0), at(FIRST_DAY + timedelta(days=43), 0, 0))


@pytest.mark.parametrize("bad", [
    {"dose": "second"},  # the first slot must be a first dose
])
def test_the_first_must_be_a_first_dose(bad):
    with pytest.raises(InvalidInput):
        validate_pair(slot(bad["dose"], at(FIRST_DAY, 9, 0)), BNT, TZ, slot("second", EDGES[1][0]), 2)


def test_other_centre_other_vaccine_or_no_second_are_refused():
    first = slot("first", at(FIRST_DAY, 9, 0))
    for second in (slot("second", EDGES[1][0], centre_id=2), slot("second", EDGES[1][0], vaccine_id=2),
                   slot("first", EDGES[1][0]), None):
        with pytest.raises(InvalidInput):
            validate_pair(first, BNT, TZ, second, 2)
    one_dose = SimpleNamespace(name="JJ", doses=1, interval_min_days=None, interval_max_days=None)
    validate_pair(first, one_dose, TZ, None, None)
    with pytest.raises(InvalidInput):
        validate_pair(first, one_dose, TZ, slot("second", EDGES[1][0]), 2)


@pytest.mark.parametrize("second_at, ok", EDGES)
def test_offers_pair_a_second_dose_at_the_edges_exactly_as_the_rule(sessions, second_at, ok):
    with sessions.begin() as s:
        v, c = b.vaccine(s, "BNT"), b.centre(s)
        first = b.slot(s, c, v, at(FIRST_DAY, 19, 30))
        second = b.slot(s, c, v, second_at, "second")
        offers = find_offers(s, centre_ids=[c.id], channel="phone", now=b.NOW)
        assert [o.ids for o in offers] == ([(first.id, second.id)] if ok else [])


# --------------------------------------------------------------------------- which pool a channel may use, at its edges


def pool_slot(s, c, v, *, phone: int, phone_taken: int, online: int, online_taken: int, release_at: datetime):
    first = b.slot(s, c, v, at(FIRST_DAY, 9, 0), phone=phone, online=online)
    first.phone_taken, first.online_taken, first.phone_release_at = phone_taken, online_taken, release_at
    s.flush()
    return first


@pytest.mark.parametrize("online_taken, phone_taken, released, channel, offered", [
    (1, 0, False, "online", True),  # the last online place
    (2, 0, False, "online", False),  # online full, phone places not yet released
    (2, 0, True, "online", True),  # online full, phone places released exactly now
    (2, 2, True, "online", False),  # everything taken
    (2, 1, False, "phone", True),  # the last phone place
    (0, 2, False, "phone", False),  # phone full: phone callers never take online places
    (2, 1, False, "agent", True),  # agents take any free place
    (1, 2, False, "agent", True),
    (2, 2, False, "agent", False),
])
def test_offers_respect_each_channels_pools_at_their_edges(sessions, online_taken, phone_taken, released, channel,
                                                           offered):
    with sessions.begin() as s:
        v, c = b.vaccine(s, "JJ"), b.centre(s)  # one dose: only the first slot's pools matter
        release = b.NOW if released else b.NOW + timedelta(seconds=1)
        first = pool_slot(s, c, v, phone=2, phone_taken=phone_taken, online=2, online_taken=online_taken,
                          release_at=release)
        offers = find_offers(s, centre_ids=[c.id], channel=channel, now=b.NOW)
        assert [o.ids for o in offers] == ([(first.id, None)] if offered else [])


def test_five_offers_by_default_and_offer_for_a_chosen_slot(sessions):
    with sessions.begin() as s:
        v, c = b.vaccine(s, "JJ"), b.centre(s)
        firsts = [b.slot(s, c, v, at(FIRST_DAY, 8 + i, 0)) for i in range(7)]
        assert [o.first.id for o in find_offers(s, centre_ids=[c.id], channel="phone", now=b.NOW)] == \
            [f.id for f in firsts[:5]]
        assert offer_for(s, firsts[6].id, "phone", b.NOW).ids == (firsts[6].id, None)
        bnt = b.vaccine(s, "BNT")
        second = b.slot(s, c, bnt, EDGES[1][0], "second")
        for wrong in (second.id, 10**6):
            with pytest.raises(InvalidInput) as refused:
                offer_for(s, wrong, "phone", b.NOW)
            assert refused.value.field == "first_slot_id" and refused.value.message
        lonely = b.slot(s, c, bnt, at(FIRST_DAY + timedelta(days=5), 9, 0))  # no second dose in its interval
        with pytest.raises(SlotUnavailable):
            offer_for(s, lonely.id, "phone", b.NOW)
        pair_first = b.slot(s, c, bnt, at(FIRST_DAY, 19, 30))
        assert offer_for(s, pair_first.id, "phone", b.NOW).ids == (pair_first.id, second.id)
        full = b.slot(s, c, bnt, at(FIRST_DAY + timedelta(days=1), 9, 0))
        late = b.slot(s, c, bnt, at(FIRST_DAY + timedelta(days=22), 9, 0), "second", phone=1, online=0)
        late.phone_taken = 1
        s.flush()
        with pytest.raises(SlotUnavailable):  # its only second dose has no phone place left
            offer_for(s, full.id, "phone", b.NOW)


def test_check_pair_names_the_field_and_checks_the_second_it_was_given(sessions):
    with sessions.begin() as s:
        v, c = b.vaccine(s, "BNT"), b.centre(s)
        first = b.slot(s, c, v, at(FIRST_DAY, 19, 30))
        early = b.slot(s, c, v, EDGES[0][0], "second")
        with pytest.raises(InvalidInput) as refused:
            check_pair(s, 10**6, early.id)
        assert refused.value.field == "first_slot_id"
        with pytest.raises(InvalidInput) as refused:
            check_pair(s, first.id, early.id)
        assert refused.value.field == "second_slot_id"


def test_a_slot_starting_now_or_at_the_end_of_the_range_is_not_offered(sessions):
    with sessions.begin() as s:
        v, c = b.vaccine(s, "JJ"), b.centre(s)
        now_slot = b.slot(s, c, v, b.NOW)
        later = b.slot(s, c, v, b.NOW + timedelta(hours=2))
        end = b.NOW + timedelta(hours=4)
        at_end = b.slot(s, c, v, end)
        offered = [o.first.id for o in find_offers(s, centre_ids=[c.id], channel="phone", now=b.NOW, before=end)]
        assert offered == [later.id] and now_slot.id not in offered and at_end.id not in offered


def test_paging_never_offers_a_first_dose_twice(sessions):
    """Ten first doses at the same minute fill the first page; only the last pairs, on the page's edge."""
    with sessions.begin() as s:
        v = b.vaccine(s, "BNT")
        same_minute = at(FIRST_DAY + timedelta(days=30), 9, 0)
        rows = []
        for i in range(10):
            other = b.centre(s, f"Zentrum {i}")
            rows.append(b.slot(s, other, v, same_minute))
        pairing = rows[-1]
        b.slot(s, pairing.centre, v, same_minute + timedelta(days=21), "second")
        offers = find_offers(s, centre_ids=[r.centre_id for r in rows], channel="phone", now=b.NOW, limit=5)
        assert [o.first.id for o in offers] == [pairing.id]


def test_a_second_dose_elsewhere_or_of_another_vaccine_does_not_pair(sessions):
    with sessions.begin() as s:
        bnt, mod, c = b.vaccine(s, "BNT"), b.vaccine(s, "MOD"), b.centre(s)
        other = b.centre(s, "Impfzentrum Anderswo")
        b.slot(s, c, bnt, at(FIRST_DAY, 9, 0))
        b.slot(s, other, bnt, at(FIRST_DAY + timedelta(days=30), 9, 0), "second")
        b.slot(s, c, mod, at(FIRST_DAY + timedelta(days=30), 9, 0), "second")
        assert find_offers(s, centre_ids=[c.id], channel="phone", now=b.NOW) == []


def test_paging_finds_a_first_dose_of_the_same_minute_on_the_next_page(sessions):
    """Eleven first doses at one minute: the first page holds ten, the eleventh (which pairs) is found after it."""
    with sessions.begin() as s:
        v = b.vaccine(s, "BNT")
        same_minute = at(FIRST_DAY + timedelta(days=30), 9, 0)
        rows = [b.slot(s, b.centre(s, f"Zentrum {i}"), v, same_minute) for i in range(11)]
        b.slot(s, rows[-1].centre, v, same_minute + timedelta(days=21), "second")
        offers = find_offers(s, centre_ids=[r.centre_id for r in rows], channel="phone", now=b.NOW, limit=5)
        assert [o.first.id for o in offers] == [rows[-1].id]


def test_an_inactive_centre_offers_nothing(sessions):
    with sessions.begin() as s:
        v, c = b.vaccine(s, "JJ"), b.centre(s)
        b.slot(s, c, v, at(FIRST_DAY, 9, 0))
        c.active = False
        s.flush()
        assert find_offers(s, centre_ids=[c.id], channel="phone", now=b.NOW) == []


def test_offers_only_of_the_vaccines_and_centres_asked_for(sessions):
    """The vaccine the rules chose is the one offered: another vaccine, or another centre, is not."""
    with sessions.begin() as s:
        jj, bnt, c = b.vaccine(s, "JJ"), b.vaccine(s, "BNT"), b.centre(s)
        other = b.centre(s, "Impfzentrum Anderswo")
        wanted = b.slot(s, c, jj, at(FIRST_DAY, 10, 0))
        b.pair(s, c, bnt, FIRST_DAY)  # 10:00 too, a whole pair, but another vaccine
        b.slot(s, c, bnt, at(FIRST_DAY, 9, 0))  # earlier, another vaccine
        b.slot(s, c, bnt, at(FIRST_DAY + timedelta(days=21), 9, 0), "second")
        b.slot(s, other, jj, at(FIRST_DAY, 8, 0))  # earlier, but another centre
        offers = find_offers(s, centre_ids=[c.id], channel="phone", now=b.NOW, vaccine_ids=[jj.id])
        assert [o.first.id for o in offers] == [wanted.id]


def test_the_earliest_first_dose_comes_first_whatever_order_the_slots_were_made_in(sessions):
    with sessions.begin() as s:
        v, c = b.vaccine(s, "JJ"), b.centre(s)
        late, early = b.slot(s, c, v, at(FIRST_DAY, 11, 0)), b.slot(s, c, v, at(FIRST_DAY, 9, 0))
        assert [o.first.id for o in find_offers(s, centre_ids=[c.id], channel="phone", now=b.NOW)] == \
            [early.id, late.id]
