"""One active booking per person: a second confirm answers PersonAlreadyBooked and leaves the transaction usable."""
from datetime import timedelta

import pytest

from shared_db import ledger as booking
from shared_db.errors import PersonAlreadyBooked
from shared_db.models import Booking
from tests import builders as b


def test_second_booking_of_a_person_is_refused_with_the_typed_error(sessions):
    with sessions.begin() as s:
        v, c = b.vaccine(s), b.centre(s)
        first, second = b.pair(s, c, v, b.NOW.date() + timedelta(days=5))
        done = booking.book(s, first_slot_id=first.id, second_slot_id=second.id, details=b.details(),
                            channel="phone", actor="call:CA1", now=b.NOW)
        other = booking.hold(s, first_slot_id=first.id, second_slot_id=second.id, channel="phone",
                             actor="call:CA2", now=b.NOW)
        with pytest.raises(PersonAlreadyBooked) as refused:
            booking.confirm(s, other.id, details=b.details(name="SCHMIDT, Erna"), actor="call:CA2", now=b.NOW)
        assert refused.value.booking_code == done.code
        # The caller's transaction is still usable: it can give the hold back and commit.
        booking.cancel(s, other.id, actor="call:CA2", reason="already booked", now=b.NOW)
    with sessions.begin() as s:
        assert s.get(Booking, other.id).status == "cancelled"
        assert s.get(Booking, done.id).status == "confirmed"
