"""Quick end-to-end path through the ledger on both databases."""
from datetime import timedelta

from shared_db import booking
from shared_db.checks import ledger_problems
from shared_db.pairing import find_offers
from tests import builders as b


def test_hold_confirm_cancel_round_trip(sessions):
    with sessions.begin() as s:
        v = b.vaccine(s)
        c = b.centre(s)
        first, second = b.pair(s, c, v, b.NOW.date() + timedelta(days=5))
        offers = find_offers(s, centre_ids=[c.id], channel="phone", now=b.NOW)
        assert [o.ids for o in offers] == [(first.id, second.id)]
        held = booking.hold(s, first_slot_id=first.id, second_slot_id=second.id, channel="phone",
                            actor="call:CA1", caller_number="+4915112345678", now=b.NOW)
        done = booking.confirm(s, held.id, details=b.details(), actor="call:CA1", now=b.NOW)
        assert done.status == "confirmed"
    with sessions.begin() as s:
        assert ledger_problems(s) == []
        booking.cancel(s, done.id, actor="agent:1", reason="test", now=b.NOW)
    with sessions.begin() as s:
        assert ledger_problems(s) == []
