"""Periodic jobs: hold sweep, phone-quota release, reminders, reconfirmation and release, purge."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from services import queueing
from services.jobs import notifier as notifiers
from services.jobs import periodic
from shared_db import ledger
from shared_db.errors import SlotUnavailable
from shared_db.ledger import changes
from shared_db.models import Booking, FreedCapacity, Notification, PurgeRecord, Setting, Slot
from shared_db.types import utcnow
from tests import builders
from tests.builders import booked
from tests.services.support import use_database


def _kinds(sessions) -> list[tuple[int, str, str]]:
    queueing.drain()  # the messages a job wrote are sent by the in-process runner after its commit
    with sessions() as session:
        return sorted(session.execute(select(Notification.booking_id, Notification.kind, Notification.status)))


def _shift(session, by: timedelta) -> None:
    """Let time pass: appointments come closer, messages lie further back."""
    for slot in session.scalars(select(Slot)):
        slot.starts_at -= by
    for row in session.scalars(select(Notification)):
        row.created_at -= by
        row.sent_at = row.sent_at - by if row.sent_at else None


def test_sweep_holds_gives_lapsed_places_back(jobs, sessions):
    with sessions.begin() as session:
        v, c = builders.vaccine(session, "JJ"), builders.centre(session)
        s = builders.slot(session, c, v, utcnow() + timedelta(days=2), phone=1, online=0)
        ledger.hold(session, first_slot_id=s.id, second_slot_id=None, channel="phone", actor="t",
                    now=utcnow() - timedelta(hours=1))
    assert periodic.sweep_holds() == 1
    assert periodic.sweep_holds() == 0
    with sessions() as session:
        assert session.get(Slot, s.id).phone_taken == 0


def test_release_phone_quota_moves_only_unused_places_past_release(jobs, sessions):
    with sessions.begin() as session:
        v, c = builders.vaccine(session, "JJ"), builders.centre(session)
        soon = builders.slot(session, c, v, utcnow() + timedelta(hours=20), phone=3, online=2)  # released
        later = builders.slot(session, c, v, utcnow() + timedelta(days=5), phone=3, online=2)  # protected
        session.execute(update(Slot).where(Slot.id == soon.id).values(phone_taken=1))
    assert periodic.release_phone_quota() == 1
    assert periodic.release_phone_quota() == 0
    with sessions() as session:
        s, late = session.get(Slot, soon.id), session.get(Slot, later.id)
        assert (s.phone_capacity, s.phone_taken, s.online_capacity) == (1, 1, 4)
        assert (late.phone_capacity, late.online_capacity) == (3, 2)


def test_reminder_sent_once_a_day_before(jobs, sessions):
    with sessions.begin() as session:
        tomorrow = booked(session, starts_in=timedelta(hours=20)).id
        booked(session, name="Karl Meier", starts_in=timedelta(days=4))
    assert periodic.send_reminders()["reminders"] == 1
    assert periodic.send_reminders()["reminders"] == 0
    assert _kinds(sessions) == [(tomorrow, "reminder", "sent")]
    assert len(jobs.sent) == 1


def test_second_dose_gets_its_own_reminder(jobs, sessions):
    with sessions.begin() as session:
        b = booked(session, starts_in=timedelta(days=3), vaccine="MOD")
        # The first dose given at the centre keeps the booking open for the second.
        changes.give_dose(session, b.id, dose="first", batch="EX1234", actor="agent:1", now=b.first_slot.starts_at)
        _shift(session, b.second_slot.starts_at - utcnow() - timedelta(hours=20))  # 2nd dose in 20 h
    assert periodic.send_reminders()["reminders"] == 1
    assert periodic.send_reminders()["reminders"] == 0
    with sessions() as session:
        [row] = session.scalars(select(Notification)).all()
        second = session.get(Booking, b.id).second_slot.starts_at.astimezone(builders.BERLIN)
        assert row.kind == "reminder_second" and second.strftime("%d.%m.%Y") in row.body


def test_no_reminder_for_a_finished_booking(jobs, sessions):
    with sessions.begin() as session:
        done = booked(session, starts_in=timedelta(days=3), vaccine="MOD")
        changes.give_dose(session, done.id, dose="first", batch="EX1234", actor="centre:1",
                          now=done.first_slot.starts_at)
        changes.turn_away(session, done.id, reason="fever", actor="centre:1", now=done.second_slot.starts_at)
        missed = booked(session, name="Karl Meier", starts_in=timedelta(hours=20))
        _shift(session, done.second_slot.starts_at - utcnow() - timedelta(hours=20))
    with sessions.begin() as session:
        ledger.mark_outcome(session, missed.id, outcome="no_show", actor="system")
    assert periodic.send_reminders()["reminders"] == 0


def test_reconfirmation_is_off_unless_the_centre_turns_it_on(jobs, sessions):
    with sessions.begin() as session:
        booked(session, starts_in=timedelta(hours=40))
    assert periodic.send_reminders()["reconfirm_requests"] == 0


def test_reconfirmation_asks_then_releases_the_silent_and_keeps_the_confirmed(jobs, sessions):
    with sessions.begin() as session:
        silent = booked(session, starts_in=timedelta(hours=40), reconfirmation=True)
        answers = booked(session, name="Karl Meier", starts_in=timedelta(hours=40), reconfirmation=True)
        silent_id, answers_id, slot_id = silent.id, answers.id, silent.first_slot_id
    assert periodic.send_reminders()["reconfirm_requests"] == 2
    assert periodic.send_reminders()["reconfirm_requests"] == 0
    queueing.drain()  # the requests go out on the in-process runner; only sent ones count as asked
    from shared_db.messages.reconfirmation import reconfirm

    with sessions.begin() as session:
        reconfirm(session, answers_id, actor="sms:test")
        # 20 h later: past the 24 h cut-off, and the request went out more than 6 h ago
        shift = timedelta(hours=20)
        _shift(session, shift)
    result = periodic.send_reminders()
    assert result["released"] == 1
    with sessions() as session:
        assert session.get(Booking, silent_id).status == "cancelled"
        assert session.get(Booking, answers_id).status == "confirmed"
        freed = session.scalars(select(FreedCapacity).where(FreedCapacity.source_booking_id == silent_id)).all()
        assert [(f.slot_id, f.reason) for f in freed] == [(slot_id, "unconfirmed")]
    assert (silent_id, "released", "sent") in _kinds(sessions)
    assert periodic.release_unconfirmed() == 0


def test_unsent_request_never_releases_a_booking(jobs, sessions):
    jobs.fail_with = notifiers.FinalSendError("twilio 400 code 21211")
    with sessions.begin() as session:
        b = booked(session, starts_in=timedelta(hours=30), reconfirmation=True)
        session.add(Setting(key="reconfirmation", value={"cutoff_hours": 29, "reply_hours": 0}))
    periodic.send_reminders()
    with sessions.begin() as session:
        _shift(session, timedelta(hours=2))
    assert periodic.release_unconfirmed() == 0
    with sessions() as session:
        assert session.get(Booking, b.id).status == "confirmed"


def test_purge_job_records_counts(jobs, sessions):
    periodic.purge_nightly()
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(PurgeRecord)) == 1


def test_quota_release_racing_phone_bookings_keeps_every_place(pg_sessions, pg_url):
    """Phone callers take places while the release moves the rest: nothing lost, nothing over capacity."""
    import threading

    use_database(pg_url)
    with pg_sessions.begin() as session:
        v, c = builders.vaccine(session, "JJ"), builders.centre(session)
        s = builders.slot(session, c, v, utcnow() + timedelta(hours=20), phone=40, online=10)
        slot_id = s.id
    taken, barrier = [], threading.Barrier(31)

    def caller():
        barrier.wait()
        try:
            with pg_sessions.begin() as session:
                taken.append(ledger.take_place(session, slot_id, "phone", utcnow()))
        except SlotUnavailable:
            pass

    def release():
        barrier.wait()
        periodic.release_phone_quota()

    threads = [threading.Thread(target=caller) for _ in range(30)] + [threading.Thread(target=release)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with pg_sessions() as session:
        slot = session.get(Slot, slot_id)
        assert slot.phone_taken == len(taken) and slot.phone_capacity == slot.phone_taken
        assert slot.phone_capacity + slot.online_capacity == 50 and slot.online_taken == 0
