"""The ledger's invariants, each on SQLite and on PostgreSQL (see the `sessions` fixture)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from shared_db import ledger as booking
from shared_db.errors import (
    CallerLimitReached,
    HoldExpired,
    InvalidInput,
    InvalidTransition,
    PersonAlreadyBooked,
    SlotUnavailable,
)
from shared_db.ledger.checks import ledger_problems
from shared_db.ledger.pairing import find_offers
from shared_db.models import AuditEntry, Booking, Centre, FreedCapacity, Slot
from tests import builders as b
from tests.shared_db.ledger.support import DAY

CALLER = "+4915112345678"


def hold(s, first, second, channel="phone", now=b.NOW, caller=CALLER, **kw):
    return booking.hold(s, first_slot_id=first.id, second_slot_id=second.id if second else None,
                        channel=channel, actor=f"test:{channel}", caller_number=caller, now=now, **kw)


def counters(sessions, slot_id):
    with sessions.begin() as s:
        slot = s.get(Slot, slot_id)
        return slot.phone_taken, slot.online_taken


def assert_consistent(sessions):
    with sessions.begin() as s:
        assert ledger_problems(s) == []


# --------------------------------------------------------------------------- 1 + 2: pools and channels


def test_phone_channel_takes_only_phone_places_and_never_overbooks(sessions, bnt_pair):
    with sessions.begin() as s:
        for _ in range(2):
            hold(s, bnt_pair["first"], bnt_pair["second"], "phone", caller=None)
    with pytest.raises(SlotUnavailable), sessions.begin() as s:
        hold(s, bnt_pair["first"], bnt_pair["second"], "phone", caller=None)
    assert counters(sessions, bnt_pair["first"].id) == (2, 0)
    assert_consistent(sessions)


def test_online_channel_cannot_take_phone_places_before_release(sessions, bnt_pair):
    with sessions.begin() as s:
        for _ in range(8):
            hold(s, bnt_pair["first"], bnt_pair["second"], "online", caller=None)
    with pytest.raises(SlotUnavailable), sessions.begin() as s:
        hold(s, bnt_pair["first"], bnt_pair["second"], "online", caller=None)
    assert counters(sessions, bnt_pair["first"].id) == (0, 8)


def test_online_channel_takes_unused_phone_places_after_release(sessions, bnt_pair):
    after_release = b.local(DAY - timedelta(days=1), 11)  # less than 48 h before the first dose
    with sessions.begin() as s:
        s.get(Slot, bnt_pair["second"].id).phone_release_at = after_release  # second dose released too
        for _ in range(10):
            hold(s, bnt_pair["first"], bnt_pair["second"], "online", now=after_release, caller=None)
    assert counters(sessions, bnt_pair["first"].id) == (2, 8)
    with pytest.raises(SlotUnavailable), sessions.begin() as s:
        hold(s, bnt_pair["first"], bnt_pair["second"], "online", now=after_release, caller=None)
    assert_consistent(sessions)


def test_agent_takes_any_free_place_and_is_recorded_as_agent(sessions, bnt_pair):
    with sessions.begin() as s:
        held = [hold(s, bnt_pair["first"], bnt_pair["second"], "agent", caller=None) for _ in range(10)]
        assert {h.channel for h in held} == {"agent"}
        assert sorted(h.first_pool for h in held) == ["online"] * 8 + ["phone"] * 2
    assert counters(sessions, bnt_pair["first"].id) == (2, 8)


def test_past_slots_cannot_be_booked(sessions, bnt_pair):
    later = b.local(DAY, 12)
    with pytest.raises(SlotUnavailable), sessions.begin() as s:
        hold(s, bnt_pair["first"], bnt_pair["second"], "agent", now=later)


# --------------------------------------------------------------------------- 3: paired doses


def test_pair_takes_both_doses_or_neither(sessions, bnt_pair):
    with sessions.begin() as s:
        s.get(Slot, bnt_pair["second"].id).phone_capacity = 0  # second dose has no phone place
    with pytest.raises(SlotUnavailable), sessions.begin() as s:
        hold(s, bnt_pair["first"], bnt_pair["second"], "phone")
    assert counters(sessions, bnt_pair["first"].id) == (0, 0)


@pytest.mark.parametrize("gap, ok", [(20, False), (21, True), (42, True), (43, False)])
def test_second_dose_interval_counts_local_days_inclusive(sessions, gap, ok):
    with sessions.begin() as s:
        v, c = b.vaccine(s, "BNT"), b.centre(s)
        first = b.slot(s, c, v, b.local(DAY, 19, 30), "first")
        # 00:15 local is the previous day in UTC: a UTC-day count would be off by one here.
        second = b.slot(s, c, v, b.local(DAY + timedelta(days=gap), 0, 15), "second")
    if ok:
        with sessions.begin() as s:
            hold(s, first, second)
    else:
        with pytest.raises(InvalidInput), sessions.begin() as s:
            hold(s, first, second)


def test_interval_across_the_dst_change(sessions):
    with sessions.begin() as s:
        v, c = b.vaccine(s, "BNT"), b.centre(s)
        first = b.slot(s, c, v, b.local(date(2021, 3, 7), 23, 30), "first")  # DST starts 28 March
        second = b.slot(s, c, v, b.local(date(2021, 3, 28), 0, 30), "second")  # 21 local days later
        with pytest.raises(SlotUnavailable):  # the first slot lies in the past of b.NOW ...
            hold(s, first, second)
    with sessions.begin() as s:  # ... so book it "earlier": the pair itself is valid
        booking.hold(s, first_slot_id=first.id, second_slot_id=second.id, channel="agent", actor="t",
                     now=b.local(date(2021, 3, 1)))


def test_pair_must_be_same_centre_and_vaccine(sessions, bnt_pair):
    with sessions.begin() as s:
        other = b.centre(s, name="Anderes Zentrum")
        v = b.vaccine(s)
        wrong = b.slot(s, other, v, b.local(DAY + timedelta(days=25)), "second")
        with pytest.raises(InvalidInput):
            booking.hold(s, first_slot_id=bnt_pair["first"].id, second_slot_id=wrong.id, channel="phone",
                         actor="t", now=b.NOW)


def test_one_dose_vaccine_needs_no_second_slot(sessions):
    with sessions.begin() as s:
        jj, c = b.vaccine(s, "JJ"), b.centre(s)
        first, second = b.pair(s, c, jj, DAY)
        assert second is None
        held = hold(s, first, None)
        assert held.second_slot_id is None
        with pytest.raises(InvalidInput):
            booking.hold(s, first_slot_id=first.id, second_slot_id=first.id, channel="phone", actor="t", now=b.NOW)


def test_offers_only_first_doses_with_a_bookable_second(sessions):
    with sessions.begin() as s:
        v, c = b.vaccine(s), b.centre(s)
        blocked, blocked_second = b.pair(s, c, v, DAY)
        blocked_second.phone_capacity = 0
        good, good_second = b.pair(s, c, v, DAY + timedelta(days=30))  # its second is too late for `blocked`
        s.flush()
        offers = find_offers(s, centre_ids=[c.id], channel="phone", now=b.NOW)
        assert [o.ids for o in offers] == [(good.id, good_second.id)]
        online = find_offers(s, centre_ids=[c.id], channel="online", now=b.NOW)
        assert [o.first.id for o in online] == [blocked.id, good.id]


# --------------------------------------------------------------------------- 4: holds


def test_confirm_turns_a_hold_into_a_booking_and_is_idempotent(sessions, bnt_pair):
    with sessions.begin() as s:
        held = hold(s, bnt_pair["first"], bnt_pair["second"])
    for _ in range(2):
        with sessions.begin() as s:
            done = booking.confirm(s, held.id, details=b.details(), actor="call:CA1", now=b.NOW)
            assert done.status == "confirmed" and done.person.name == "Erna Schmidt"
    with sessions.begin() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity == "booking", AuditEntry.action == "confirmed")) == 1
    assert counters(sessions, bnt_pair["first"].id) == (1, 0)


def test_confirm_after_the_hold_lapsed_is_refused(sessions, bnt_pair):
    with sessions.begin() as s:
        held = hold(s, bnt_pair["first"], bnt_pair["second"], hold_seconds=180)
    with pytest.raises(HoldExpired), sessions.begin() as s:
        booking.confirm(s, held.id, details=b.details(), actor="t", now=b.NOW + timedelta(seconds=181))


def test_sweep_gives_lapsed_holds_back(sessions, bnt_pair):
    with sessions.begin() as s:
        hold(s, bnt_pair["first"], bnt_pair["second"], hold_seconds=60)
        hold(s, bnt_pair["first"], bnt_pair["second"], hold_seconds=600)
    with sessions.begin() as s:
        assert booking.release_expired_holds(s, b.NOW + timedelta(seconds=61)) == 1
    assert counters(sessions, bnt_pair["first"].id) == (1, 0)
    assert counters(sessions, bnt_pair["second"].id) == (1, 0)
    assert_consistent(sessions)


def test_lapsed_hold_is_given_back_lazily_when_its_slot_is_wanted(sessions, bnt_pair):
    with sessions.begin() as s:
        for _ in range(2):
            hold(s, bnt_pair["first"], bnt_pair["second"], hold_seconds=60, caller=None)
    later = b.NOW + timedelta(minutes=5)
    with sessions.begin() as s:
        hold(s, bnt_pair["first"], bnt_pair["second"], now=later, caller=None)
    with sessions.begin() as s:
        statuses = sorted(s.scalars(select(Booking.status)))
        assert statuses == ["expired", "expired", "held"]
    assert_consistent(sessions)


def test_cancel_is_idempotent(sessions, bnt_pair):
    with sessions.begin() as s:
        done = booking.book(s, first_slot_id=bnt_pair["first"].id, second_slot_id=bnt_pair["second"].id,
                            details=b.details(), channel="phone", actor="t", now=b.NOW)
    for _ in range(2):
        with sessions.begin() as s:
            booking.cancel(s, done.id, actor="agent:1", reason="Anruf", now=b.NOW)
    assert counters(sessions, bnt_pair["first"].id) == (0, 0)
    assert_consistent(sessions)


# --------------------------------------------------------------------------- 5: cancel and rebook


def test_cancel_gives_both_places_back_and_records_them_for_refilling(sessions, bnt_pair):
    with sessions.begin() as s:
        done = booking.book(s, first_slot_id=bnt_pair["first"].id, second_slot_id=bnt_pair["second"].id,
                            details=b.details(), channel="phone", actor="t", now=b.NOW)
        booking.cancel(s, done.id, actor="agent:1", reason="verzogen", now=b.NOW)
        freed = s.scalars(select(FreedCapacity)).all()
        assert sorted((f.slot_id, f.pool, f.reason) for f in freed) == sorted(
            [(bnt_pair["first"].id, "phone", "cancellation"), (bnt_pair["second"].id, "phone", "cancellation")])
    assert counters(sessions, bnt_pair["second"].id) == (0, 0)


def test_cancel_only_the_second_dose(sessions, bnt_pair):
    with sessions.begin() as s:
        done = booking.book(s, first_slot_id=bnt_pair["first"].id, second_slot_id=bnt_pair["second"].id,
                            details=b.details(), channel="phone", actor="t", now=b.NOW)
        booking.cancel(s, done.id, actor="agent:1", reason="Zweitimpfung woanders", second_dose_only=True)
        assert done.status == "confirmed" and done.second_slot_id is None
    assert counters(sessions, bnt_pair["first"].id) == (1, 0)
    assert counters(sessions, bnt_pair["second"].id) == (0, 0)
    assert_consistent(sessions)


def test_rebook_takes_the_new_places_before_giving_back_the_old(sessions, bnt_pair):
    with sessions.begin() as s:
        v, c = b.vaccine(s), s.get(Centre, bnt_pair["centre"])
        new_first, new_second = b.pair(s, c, v, DAY - timedelta(days=3), phone=1, online=0)
        done = booking.book(s, first_slot_id=bnt_pair["first"].id, second_slot_id=bnt_pair["second"].id,
                            details=b.details(), channel="phone", actor="t", now=b.NOW)
        booking.rebook(s, done.id, first_slot_id=new_first.id, second_slot_id=new_second.id,
                       actor="agent:2", channel="agent", now=b.NOW)
        assert done.first_slot_id == new_first.id
    assert counters(sessions, bnt_pair["first"].id) == (0, 0)
    assert counters(sessions, new_first.id) == (1, 0)
    assert_consistent(sessions)


def test_rebook_into_a_full_slot_keeps_the_old_booking(sessions, bnt_pair):
    with sessions.begin() as s:
        v, c = b.vaccine(s), s.get(Centre, bnt_pair["centre"])
        full_first, full_second = b.pair(s, c, v, DAY - timedelta(days=3), phone=0, online=0)
        done = booking.book(s, first_slot_id=bnt_pair["first"].id, second_slot_id=bnt_pair["second"].id,
                            details=b.details(), channel="phone", actor="t", now=b.NOW)
    with pytest.raises(SlotUnavailable), sessions.begin() as s:
        booking.rebook(s, done.id, first_slot_id=full_first.id, second_slot_id=full_second.id,
                       actor="agent:2", channel="agent", now=b.NOW)
    with sessions.begin() as s:
        assert s.get(Booking, done.id).first_slot_id == bnt_pair["first"].id
    assert counters(sessions, bnt_pair["first"].id) == (1, 0)


def test_a_cancelled_booking_cannot_be_rebooked(sessions, bnt_pair):
    with sessions.begin() as s:
        done = booking.book(s, first_slot_id=bnt_pair["first"].id, second_slot_id=bnt_pair["second"].id,
                            details=b.details(), channel="phone", actor="t", now=b.NOW)
        booking.cancel(s, done.id, actor="t", reason="x")
        with pytest.raises(InvalidTransition):
            booking.rebook(s, done.id, first_slot_id=bnt_pair["first"].id, second_slot_id=None,
                           actor="t", channel="agent", now=b.NOW)


# --------------------------------------------------------------------------- 6: anti-phantom limits


def test_one_active_booking_per_person_with_normalised_name(sessions, bnt_pair):
    with sessions.begin() as s:
        booking.book(s, first_slot_id=bnt_pair["first"].id, second_slot_id=bnt_pair["second"].id,
                     details=b.details(name="Jürgen Müller"), channel="phone", actor="t", now=b.NOW, caller_number=None)
    with pytest.raises(PersonAlreadyBooked) as err, sessions.begin() as s:
        booking.book(s, first_slot_id=bnt_pair["first"].id, second_slot_id=bnt_pair["second"].id,
                     details=b.details(name="  MUELLER,  juergen "), channel="online", actor="t", now=b.NOW)
    assert err.value.code == "already_booked" and err.value.booking_code


def test_at_most_three_people_per_calling_number_in_24_hours(sessions, bnt_pair):
    names = ["Anna Alt", "Bernd Alt", "Clara Alt", "Dieter Alt"]
    for name in names[:3]:
        with sessions.begin() as s:
            booking.book(s, first_slot_id=bnt_pair["first"].id, second_slot_id=bnt_pair["second"].id,
                         details=b.details(name=name), channel="agent", actor="t", now=b.NOW, caller_number=CALLER)
    with pytest.raises(CallerLimitReached) as err, sessions.begin() as s:
        booking.book(s, first_slot_id=bnt_pair["first"].id, second_slot_id=bnt_pair["second"].id,
                     details=b.details(name=names[3]), channel="agent", actor="t", now=b.NOW, caller_number=CALLER)
    assert err.value.code == "number_limit" and err.value.limit == 3
    with sessions.begin() as s:  # a day later the number may book again
        booking.book(s, first_slot_id=bnt_pair["first"].id, second_slot_id=bnt_pair["second"].id,
                     details=b.details(name=names[3]), channel="agent", actor="t",
                     now=b.NOW + timedelta(hours=24, minutes=1), caller_number=CALLER)


def test_limits_have_distinct_error_codes():
    codes = {PersonAlreadyBooked.code, CallerLimitReached.code, SlotUnavailable.code, HoldExpired.code}
    assert len(codes) == 4


# --------------------------------------------------------------------------- audit


def test_every_change_is_audited_with_before_and_after(sessions, bnt_pair):
    with sessions.begin() as s:
        done = booking.book(s, first_slot_id=bnt_pair["first"].id, second_slot_id=bnt_pair["second"].id,
                            details=b.details(), channel="agent", actor="agent:7", now=b.NOW)
        booking.cancel(s, done.id, actor="agent:7", reason="Wunsch des Anrufers")
        entries = s.scalars(select(AuditEntry).where(AuditEntry.entity == "booking").order_by(AuditEntry.id)).all()
        assert [(e.actor, e.action) for e in entries] == [("agent:7", "confirmed"), ("agent:7", "cancelled")]
        assert entries[1].before["status"] == "confirmed" and entries[1].after["status"] == "cancelled"
        person_entry = s.scalar(select(AuditEntry).where(AuditEntry.entity == "person"))
        assert "Erna" not in str(person_entry.after)  # personal values are not copied into the log


# --------------------------------------------------------------------------- the session after a rollback
# The hot path writes with Core and tells the ORM the result (shared_db.session.as_persistent);
# a rollback must leave the session telling the truth, as the ORM's own writes would.


def test_a_rolled_back_confirm_inside_a_savepoint_leaves_the_hold_held_in_the_session(sessions, bnt_pair):
    with sessions.begin() as s:
        held = hold(s, bnt_pair["first"], bnt_pair["second"])
    with sessions.begin() as s:
        loaded = s.get(Booking, held.id)  # loaded and kept before the savepoint, as the API's own_hold does
        with pytest.raises(RuntimeError), s.begin_nested():
            booking.confirm(s, held.id, details=b.details(), actor="t", now=b.NOW)
            raise RuntimeError("something after the confirm failed")
        assert s.get(Booking, held.id) is loaded and loaded.status == "held" and loaded.person_id is None
        booking.cancel(s, held.id, actor="t", reason="caller hung up", now=b.NOW)  # what the IVR then does
    with sessions.begin() as s:
        assert s.get(Booking, held.id).status == "cancelled"
    assert_consistent(sessions)


def test_a_hold_rolled_back_with_its_transaction_is_no_longer_in_the_session(sessions, bnt_pair):
    with sessions() as s:
        with pytest.raises(RuntimeError), s.begin():
            held = hold(s, bnt_pair["first"], bnt_pair["second"])
            raise RuntimeError("the request failed after the hold")
        assert held not in s and held.code  # detached with its values, as an ORM-flushed row would be
    assert counters(sessions, bnt_pair["first"].id) == (0, 0)


def test_a_refused_second_booking_does_not_keep_the_person_longer(sessions, bnt_pair):
    with sessions.begin() as s:
        first = booking.book(s, first_slot_id=bnt_pair["first"].id, second_slot_id=bnt_pair["second"].id,
                             details=b.details(), channel="phone", actor="t", now=b.NOW, caller_number=CALLER)
        keep = first.person.retention_until
    with sessions.begin() as s:
        far = b.pair(s, s.get(Centre, bnt_pair["centre"]), b.vaccine(s), DAY + timedelta(days=60))
    with sessions.begin() as s:
        held = hold(s, *far, caller=None)
        with pytest.raises(PersonAlreadyBooked):  # caught: the rest of the transaction commits
            booking.confirm(s, held.id, details=b.details(), actor="t", now=b.NOW)
    with sessions.begin() as s:
        assert s.get(Booking, first.id).person.retention_until == keep


def test_locking_a_call_again_keeps_a_change_made_to_it(sessions):
    from shared_db import calls
    from shared_db.models import CallSession

    with sessions.begin() as s:
        calls.start_call(s, "CA-keep", None, "home", "de", b.NOW)
    with sessions.begin() as s:
        calls.end_call(calls.lock_call(s, "CA-keep"), "completed", b.NOW)
        calls.lock_call(s, "CA-keep")  # a second lock in the same unit of work must not drop the change
    with sessions.begin() as s:
        assert s.get(CallSession, "CA-keep").end_status == "completed"
