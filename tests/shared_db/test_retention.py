"""Retention: personal data is deleted on schedule, anonymous counts stay."""
from datetime import timedelta

from sqlalchemy import func, select

from shared_db import ledger as booking
from shared_db.models import Booking, Person, PurgeRecord
from shared_db.operations.retention import purge
from shared_db.people import PersonDetails, register
from tests import builders as b

DAY = b.NOW.date() + timedelta(days=10)


def test_registration_without_booking_is_deleted_after_14_days(sessions):
    with sessions.begin() as s:
        register(s, b.details(name="Nur Registriert"), "phone", "t", now=b.NOW)
    with sessions.begin() as s:
        assert purge(s, now=b.NOW + timedelta(days=13)).people == 0
    with sessions.begin() as s:
        report = purge(s, now=b.NOW + timedelta(days=14))
        assert report.people == 1
        assert s.scalar(select(func.count()).select_from(Person)) == 0
        assert s.scalar(select(PurgeRecord.people_deleted).order_by(PurgeRecord.id.desc())) == 1


def test_active_booking_keeps_the_person(sessions):
    with sessions.begin() as s:
        v, c = b.vaccine(s), b.centre(s)
        first, second = b.pair(s, c, v, DAY)
        booking.book(s, first_slot_id=first.id, second_slot_id=second.id, details=b.details(),
                     channel="phone", actor="t", now=b.NOW)
    with sessions.begin() as s:
        assert purge(s, now=b.NOW + timedelta(days=20)).people == 0


def test_completed_booking_is_anonymised_after_the_last_appointment(sessions):
    with sessions.begin() as s:
        v, c = b.vaccine(s), b.centre(s)
        first, second = b.pair(s, c, v, DAY)
        done = booking.book(s, first_slot_id=first.id, second_slot_id=second.id, details=b.details(),
                            channel="phone", actor="t", now=b.NOW)
        booking.mark_outcome(s, done.id, outcome="completed", actor="agent:1")
    last = second.starts_at
    with sessions.begin() as s:
        assert purge(s, now=last + timedelta(days=29), after_appointment_days=30).people == 0
    with sessions.begin() as s:
        report = purge(s, now=last + timedelta(days=31), after_appointment_days=30)
        assert (report.people, report.bookings) == (1, 1)
        kept = s.scalar(select(Booking))
        assert kept.person_id is None and kept.caller_number is None and kept.status == "completed"


def test_dry_run_counts_and_deletes_nothing(sessions):
    with sessions.begin() as s:
        register(s, b.details(), "online", "t", now=b.NOW)
    with sessions.begin() as s:
        report = purge(s, now=b.NOW + timedelta(days=15), dry_run=True)
        assert report.people == 1 and report.dry_run
    with sessions.begin() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 1
        assert s.scalar(select(func.count()).select_from(PurgeRecord)) == 0


def test_register_validates_details(sessions):
    import pytest

    from shared_db.errors import InvalidInput

    with pytest.raises(InvalidInput), sessions.begin() as s:
        register(s, PersonDetails(name=" ", date_of_birth=b.NOW.date()), "phone", "t", now=b.NOW)
    with pytest.raises(InvalidInput), sessions.begin() as s:
        register(s, b.details(dob=b.NOW.date() + timedelta(days=1)), "phone", "t", now=b.NOW)
