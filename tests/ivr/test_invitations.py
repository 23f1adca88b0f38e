"""Invitations on the phone: the caller's own code admits, a forwarded one is refused kindly, no claim to say yes to."""
from __future__ import annotations

from sqlalchemy import select

from shared_db.models import Booking, Invitation
from shared_db.session import transaction
from tests.ivr.support import INVITED, bookings, new_call, take_offer

FORWARDED = "Dieser Einladungscode gehört zu einer anderen Person"


def to_code_question(call, dob: str) -> str:
    call.dial(), call.press("1"), call.press("1"), call.press(dob), call.press("1")
    return call.last.heard()


def test_the_callers_own_code_books_as_verified_and_uses_the_invitation(client, ivr_world, sessions_of):
    assert "Einladungscode" in to_code_question(call := new_call(client), INVITED["dob"].strftime("%d%m%Y"))
    call.press(INVITED["code"])
    assert "Postleitzahl" in call.last.heard()
    call.press("33602")
    take_offer(call, INVITED["name"])
    assert "Ihr Termin ist gebucht" in call.last.heard()
    [booking] = bookings(sessions_of)
    assert booking.status == "confirmed" and booking.verification == "verified"
    with transaction(sessions_of) as session:
        assert session.scalar(select(Invitation.booking_id)) == booking.id


def test_a_forwarded_code_is_refused_kindly_and_asked_again(client, ivr_world, sessions_of):
    to_code_question(call := new_call(client), "15061985")
    call.press(INVITED["code"])
    heard = call.last.heard()
    assert FORWARDED in heard and "Einladungscode" in heard  # asked again, nothing held
    call.press(INVITED["code"])
    assert "persönlich" in call.last.heard()  # a second refusal offers a person
    assert bookings(sessions_of) == []


def test_a_spoken_name_that_differs_from_the_list_books_to_be_verified(client, ivr_world, sessions_of):
    to_code_question(call := new_call(client), INVITED["dob"].strftime("%d%m%Y"))
    call.press(INVITED["code"]), call.press("33602")
    take_offer(call, "Kevin Weitergeleitet")
    [booking] = bookings(sessions_of)
    assert booking.verification == "to_verify"


def test_the_care_home_claim_of_a_41_year_old_books_nothing(client, ivr_world, sessions_of):
    """The finding: pressing 1 for 'lives or works in a care home' booked a 41-year-old into group 1."""
    heard = to_code_question(call := new_call(client), "15061985")
    assert "Pflegeheim" not in heard
    call.silence()
    assert "noch keinen Termin buchen" in call.last.heard()
    with transaction(sessions_of) as session:
        assert session.scalars(select(Booking)).all() == []
