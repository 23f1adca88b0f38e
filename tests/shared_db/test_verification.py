"""The verification view's queries: claimed bookings compared with the lists, verified or cancelled with a reason."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from shared_db.models import Booking, Invitation, Notification, PriorityGroup
from shared_db.operations import verification
from shared_db.people import name_key
from shared_db.policy import Policy
from shared_db.types import utcnow
from tests import builders as b


def claimed(s, name: str, dob: date) -> Booking:
    booking = b.booked(s, name=name, vaccine="BNT")
    booking.verification = "to_verify"
    booking.person.date_of_birth = dob
    s.flush()
    return booking


def test_claimed_bookings_are_compared_with_the_lists_and_told_why_when_cancelled(sessions):
    with sessions.begin() as s:
        listed = claimed(s, "Maria Pflegerin", date(1980, 5, 17))
        group = s.scalar(select(PriorityGroup.id).where(PriorityGroup.number == 1))
        s.add(Invitation(facility="Pflegeheim Sonnenhof", group_id=group, name="Maria Pflegerin",
                         name_key=name_key("Maria Pflegerin"), date_of_birth=date(1980, 5, 17), code="12345670"))
        s.flush()
        rows = {r.booking.id: r for r in verification.to_verify(s, utcnow())}
        assert (rows[listed.id].match, rows[listed.id].lists) == ("listed", ("Pflegeheim Sonnenhof",))
        assert verification.mark_verified(s, [listed.id], "agent:9") == 1
        assert verification.to_verify(s, utcnow()) == []


def test_a_claim_on_no_list_is_cancelled_with_the_reason_and_this_hotlines_number(sessions):
    with sessions.begin() as s:
        stranger = claimed(s, "Kevin Weitergeleitet", date(1985, 6, 15))
        [row] = verification.to_verify(s, utcnow())
        assert row.match == "none"
        assert verification.cancel_unverified(s, [stranger.id], "not_on_list", "agent:9", utcnow(),
                                              Policy(hotline_number="0521 9876 5430")) == 1
        body = s.scalars(select(Notification.body).order_by(Notification.id.desc())).first()
        assert "Einladungsliste" in body and "0521 9876 5430" in body and "116117" not in body
