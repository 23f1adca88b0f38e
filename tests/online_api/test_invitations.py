"""Personal invitation codes through the API: the own code admits, a forwarded one is refused kindly, one use each."""
from __future__ import annotations

from sqlalchemy import select

from shared_db.models import Booking, Invitation
from tests.online_api.support import (
    INVITE_CODE,
    INVITED_NAME,
    assert_problem,
    book_online,
    headers,
    hold,
    person,
    years_ago,
)

FORWARDED = "Dieser Einladungscode gehört zu einer anderen Person"


def invited(**extra) -> dict:
    return person(INVITED_NAME, 40, invitation_code=INVITE_CODE, **extra)


def test_the_own_code_admits_into_the_listed_group_as_verified(client, api_world):
    body = client.post("/api/v1/eligibility", json={"date_of_birth": years_ago(40).isoformat(), "name": INVITED_NAME,
                                                    "invitation_code": INVITE_CODE}, headers=headers(api_world)).json
    assert body["eligible"] is True and body["priority_group"] == 1 and body["verification"] == "verified"


def test_a_forwarded_code_is_refused_kindly_for_another_birth_date_or_name(client, api_world):
    for other in ({"date_of_birth": years_ago(33).isoformat()}, {"name": "Kevin Weitergeleitet"}):
        payload = {"date_of_birth": years_ago(40).isoformat(), "name": INVITED_NAME,
                   "invitation_code": INVITE_CODE} | other
        resp = client.post("/api/v1/eligibility", json=payload, headers=headers(api_world))
        body = assert_problem(resp, 403, "invitation_not_yours")
        assert body["message"].startswith(FORWARDED)


def test_a_mistyped_code_is_caught_by_its_check_digit(client, api_world):
    swapped = INVITE_CODE[1] + INVITE_CODE[0] + INVITE_CODE[2:]
    resp = client.post("/api/v1/eligibility", json={"date_of_birth": years_ago(40).isoformat(),
                                                    "invitation_code": swapped}, headers=headers(api_world))
    assert_problem(resp, 422, "invitation_invalid")


def test_the_code_is_used_by_the_booking_and_given_back_when_it_is_cancelled(client, api_world, pg_sessions):
    booked = book_online(client, api_world, who=invited())
    with pg_sessions() as s:
        booking = s.scalar(select(Booking).where(Booking.code == booked["booking_code"]))
        assert booking.verification == "verified"
        assert s.scalar(select(Invitation.booking_id).where(Invitation.code == INVITE_CODE)) == booking.id
    again = client.post("/api/v1/eligibility", json={"date_of_birth": years_ago(40).isoformat(),
                                                     "invitation_code": INVITE_CODE}, headers=headers(api_world))
    assert_problem(again, 409, "invitation_used")
    cancel = client.post("/api/v1/bookings/cancel", json={"booking_code": booked["booking_code"],
                                                          "date_of_birth": years_ago(40).isoformat()},
                         headers=headers(api_world))
    assert cancel.status_code == 200
    with pg_sessions() as s:
        assert s.scalar(select(Invitation.booking_id).where(Invitation.code == INVITE_CODE)) is None
    assert book_online(client, api_world, api_world.soon_first_id, who=invited())["status"] == "confirmed"


def test_a_forwarded_code_cannot_confirm_a_hold(client, api_world, pg_sessions):
    held = hold(client, api_world).json
    resp = client.post(f"/api/v1/holds/{held['hold_id']}/confirm",
                       json=person("Kevin Weitergeleitet", 40, invitation_code=INVITE_CODE),
                       headers=headers(api_world))
    assert assert_problem(resp, 403, "invitation_not_yours")["message"].startswith(FORWARDED)
    with pg_sessions() as s:
        assert s.scalar(select(Invitation.booking_id).where(Invitation.code == INVITE_CODE)) is None
