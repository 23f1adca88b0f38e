"""My appointment by phone: booking code and date of birth, then move or cancel it."""
from __future__ import annotations

from sqlalchemy import select

from shared_db.ledger.checks import ledger_problems
from shared_db.models import Notification, Slot
from shared_db.session import transaction
from tests.ivr.support import bookings, new_call, take_offer, to_offer


def _booked(client) -> str:
    call = new_call(client)
    to_offer(call)
    take_offer(call)
    call.hang_up()


def _to_my_appointment(client, code: str, dob: str = "03031938"):
    call = new_call(client)
    call.dial(), call.press("1"), call.press("2")
    assert "Buchungscode" in call.last.heard()
    call.press(code)
    assert "Geburtsdatum" in call.last.heard()
    call.press(dob)
    return call


def test_cancel_by_code_gives_both_doses_back(client, ivr_world, sessions_of):
    _booked(client)
    [done] = bookings(sessions_of)
    call = _to_my_appointment(client, done.code)
    assert "Ihr Termin:" in call.last.heard() and "Impfzentrum Bielefeld" in call.last.heard()
    call.press("2")
    assert "wirklich absagen" in call.last.heard()
    call.press("1")
    assert "Ihr Termin ist abgesagt" in call.last.heard()
    [cancelled] = bookings(sessions_of)
    assert cancelled.status == "cancelled"
    with transaction(sessions_of) as session:
        first, second = ivr_world["pairs"]["home"][0]
        assert session.get(Slot, first).phone_taken == 0 and session.get(Slot, second).phone_taken == 0
        kinds = [n.kind for n in session.scalars(select(Notification).order_by(Notification.id))]
        assert kinds == ["confirmation", "cancellation"]
        assert ledger_problems(session) == []


def test_rebook_by_code_moves_to_the_next_pair_and_keeps_the_code(client, ivr_world, sessions_of):
    _booked(client)
    [done] = bookings(sessions_of)
    call = _to_my_appointment(client, done.code)
    call.press("1")
    assert "Ein anderer freier Termin" in call.last.heard()
    call.press("1")
    heard = call.last.heard()
    assert "Ihr Termin ist verlegt" in heard and " ".join(done.code[:3]) in heard
    [moved] = bookings(sessions_of)
    assert moved.code == done.code and moved.status == "confirmed"
    assert moved.first_slot_id == ivr_world["pairs"]["home"][1][0]
    with transaction(sessions_of) as session:
        assert session.get(Slot, ivr_world["pairs"]["home"][0][0]).phone_taken == 0
        assert session.get(Slot, ivr_world["pairs"]["home"][1][0]).phone_taken == 1
        assert ledger_problems(session) == []


def test_wrong_birth_date_finds_nothing_and_a_mistyped_code_is_caught_by_its_check_digit(
        client, ivr_world, sessions_of):
    _booked(client)
    [done] = bookings(sessions_of)
    call = _to_my_appointment(client, done.code, dob="04031938")
    assert "keinen Termin gefunden" in call.last.heard()
    wrong = done.code[:-1] + str((int(done.code[-1]) + 1) % 10)
    call.press(wrong)
    assert "nicht gültig" in call.last.heard()
    assert "persönlich" in call.last.heard()  # the second failure in a row offers a person
