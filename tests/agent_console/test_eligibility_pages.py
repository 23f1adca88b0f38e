"""The console's eligibility pages: a forwarded code refused, lists imported and sent, rules previewed then saved,
claimed bookings verified or cancelled with the reason said."""
from __future__ import annotations

import io
import re
from datetime import date

from sqlalchemy import select

from shared_db import clock
from shared_db.ledger.codes import damm_digit
from shared_db.models import AuditEntry, Booking, CampaignWindow, Invitation, Notification, OpeningNotice, PriorityGroup
from shared_db.people import name_key
from shared_db.session import transaction
from tests.agent_console.support import post

CODE = "7654321" + damm_digit("7654321")
FORWARDED = "Dieser Einladungscode gehört zu einer anderen Person"


def listed_carer(pg_sessions) -> None:
    with transaction(pg_sessions) as s:
        group = s.scalar(select(PriorityGroup.id).where(PriorityGroup.number == 1))
        s.add(Invitation(facility="Pflegeheim Sonnenhof", group_id=group, code=CODE, name="Maria Pflegerin",
                         name_key=name_key("Maria Pflegerin"), date_of_birth=date(1980, 5, 17)))


def form(console_world, name: str, dob: str, code: str = "") -> dict:
    return {"name": name, "dob": dob, "postcode": "33602", "phone": "0151 23456789", "language": "de",
            "centre_id": str(console_world.centre_id), "invitation_code": code}


def test_a_forwarded_code_is_refused_and_the_own_code_books_verified(agent, console_world, pg_sessions):
    listed_carer(pg_sessions)
    page = agent.get("/console/book", query_string=form(console_world, "Kevin Weitergeleitet", "15.06.1985", CODE))
    assert FORWARDED in page.get_data(as_text=True)
    own = form(console_world, "Maria Pflegerin", "17.05.1980", CODE)
    page = agent.get("/console/book", query_string=own).get_data(as_text=True)
    assert "Berechtigt (Gruppe 1)" in page and "Nachgewiesen" in page
    pair = re.search(r'name="pair" value="([0-9:]+)"', page).group(1)
    assert post(agent, "/console/book", pair=pair, **own).status_code == 302
    with transaction(pg_sessions) as s:
        booking = s.scalar(select(Booking))
        assert booking.verification == "verified" and s.scalar(select(Invitation.booking_id)) == booking.id
    refused = post(agent, "/console/book", pair=pair, **form(console_world, "Kevin Weitergeleitet", "17.05.1980",
                                                             CODE))
    assert refused.status_code == 302
    assert FORWARDED in agent.get(refused.location).get_data(as_text=True)


def test_supervisor_pages_are_not_for_agents(agent):
    assert agent.get("/console/supervisor/rules").status_code == 403
    assert agent.get("/console/supervisor/verification").status_code == 403


def test_a_list_is_imported_and_sent_from_the_rules_page(supervisor, console_world, pg_sessions):
    csv_text = ("institution,name,date_of_birth,group,mobile,email\n"
                "Pflegeheim Sonnenhof,Maria Pflegerin,17.05.1980,1,0151 23456789,\n"
                "Pflegeheim Sonnenhof,Otto Ohne,1950-01-01,9,,\n")
    bad = supervisor.post("/console/supervisor/invitations/import", data={
        "csrf_token": supervisor.token, "file": (io.BytesIO(csv_text.encode()), "liste.csv")})
    assert "3: group" in supervisor.get(bad.location).get_data(as_text=True)
    good = csv_text.rsplit("Pflegeheim Sonnenhof,Otto", 1)[0]
    supervisor.post("/console/supervisor/invitations/import", data={
        "csrf_token": supervisor.token, "file": (io.BytesIO(good.encode()), "liste.csv")})
    page = supervisor.get("/console/supervisor/rules").get_data(as_text=True)
    assert "Pflegeheim Sonnenhof" in page
    post(supervisor, "/console/supervisor/invitations/send", institution="Pflegeheim Sonnenhof")
    with transaction(pg_sessions) as s:
        assert s.scalar(select(Notification.kind)) == "invitation"
        assert s.scalar(select(Invitation.sent_via)) == "sms"


def test_a_window_is_previewed_then_saved_and_audited(supervisor, console_world, pg_sessions, console):
    today = clock.today()
    with transaction(pg_sessions) as s:
        group = s.scalar(select(PriorityGroup.id).where(PriorityGroup.number == 2))
        s.add(OpeningNotice(group_id=group, date_of_birth=date(today.year - 75, 1, 1), channel="sms",
                            phone="+4915100000001", language="de", status="waiting"))
    change = {"action": "add_window", "group": "2", "opens_on": today.strftime("%d.%m.%Y"),
              "channels": "phone"}
    preview = post(supervisor, "/console/supervisor/rules", **change).get_data(as_text=True)
    assert "1 werden heute fällig" in preview
    with transaction(pg_sessions) as s:
        assert s.scalar(select(CampaignWindow).where(CampaignWindow.group_id == group)) is None
    post(supervisor, "/console/supervisor/rules", confirm="1", **change)
    with transaction(pg_sessions) as s:
        window = s.scalar(select(CampaignWindow).where(CampaignWindow.group_id == group))
        assert window.opens_on == today and window.channels == "phone"
        entry = s.scalar(select(AuditEntry).where(AuditEntry.entity == "campaign_window"))
        assert entry.actor.startswith("agent:") and entry.action == "added"


def test_claimed_bookings_are_cancelled_with_the_reason_and_the_hotlines_number(supervisor, console_world,
                                                                                pg_sessions, agent):
    page = agent.get("/console/book", query_string=form(console_world, "Karl Klein", "03.03.1936")).get_data(
        as_text=True)
    pair = re.search(r'name="pair" value="([0-9:]+)"', page).group(1)
    post(agent, "/console/book", pair=pair, **form(console_world, "Karl Klein", "03.03.1936"))
    with transaction(pg_sessions) as s:
        booking = s.scalar(select(Booking))
        booking.verification = "to_verify"  # as if booked on a self-declared answer
        booking_id = booking.id
    listing = supervisor.get("/console/supervisor/verification").get_data(as_text=True)
    assert "Karl Klein" in listing and "auf keiner Liste" in listing
    post(supervisor, "/console/supervisor/verification", booking_id=str(booking_id), why="not_on_list", do="cancel")
    with transaction(pg_sessions) as s:
        assert s.get(Booking, booking_id).status == "cancelled"
        body = s.scalars(select(Notification.body).order_by(Notification.id.desc())).first()
        assert "Einladungsliste" in body and "0521 9876 5430" in body
