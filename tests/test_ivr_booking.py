"""Whole calls through the Flask test client with signed requests: booking by phone."""
from __future__ import annotations

from sqlalchemy import select

from shared_db.checks import ledger_problems
from shared_db.models import Notification, Slot
from shared_db.session import transaction
from tests.ivr_support import bookings, book, new_call, sessions_of, to_offer, world  # noqa: F401


def test_successful_booking_takes_the_phone_pool_and_queues_an_sms(client, world, sessions_of):
    call = new_call(client)
    to_offer(call)
    assert "Der nächste freie Termin" in call.last.heard()
    assert "im Impfzentrum Bielefeld" in call.last.heard()
    book(call)
    heard = call.last.heard()
    assert "Ihr Termin ist gebucht" in heard
    [done] = bookings(sessions_of)
    assert done.status == "confirmed" and done.channel == "phone" and done.first_pool == "phone"
    spoken_code = " ".join(done.code[:3]) + " " + " ".join(done.code[3:6]) + " " + " ".join(done.code[6:])
    assert heard.count(spoken_code) == 2, heard  # read digit by digit, twice
    assert done.person.name == "Erna Schmidt" and done.caller_number == "+4915112345678"
    with transaction(sessions_of) as session:
        first = session.get(Slot, world["pairs"]["home"][0][0])
        assert (first.phone_taken, first.online_taken) == (1, 0)
        sms = session.scalars(select(Notification).where(Notification.booking_id == done.id)).all()
        assert [(n.channel, n.kind, n.to_number) for n in sms] == [("sms", "confirmation", "+4915112345678")]
        assert ledger_problems(session) == []
