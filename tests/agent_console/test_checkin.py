"""Check-in page at the centre: centre staff see only their centre, find by code, name or birth date,
record a dose with its batch, turn a person away, and cannot reach the call centre's pages."""
from __future__ import annotations

from datetime import UTC, timedelta
from functools import cache

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from shared_db.ledger import changes
from shared_db.models import Booking, FreedCapacity, Slot, User
from shared_db.session import transaction
from tests.agent_console.support import csrf_of, old_person, post, sign_in

DOOR_PASSWORD = "door-secret-2021"


@cache
def _door_hash() -> str:
    """Hashed once per run: scrypt is slow on purpose."""
    return generate_password_hash(DOOR_PASSWORD, method="scrypt")


@pytest.fixture
def booked(console, console_world, pg_sessions):
    """Two people booked on the first day's slot (day 2, 10:00) at the world's centre; the clock at 09:55."""
    with transaction(pg_sessions) as s:
        made = [changes.book_now(s, first_slot_id=console_world.firsts[0], second_slot_id=console_world.seconds[0],
                                 details=old_person(name, phone=None, years=years), channel="agent",
                                 actor="agent:1")
                for name, years in (("Erna Schmidt", 85), ("Karl Meier", 90))]
        starts = s.get(Slot, console_world.firsts[0]).starts_at
    console.config["CONSOLE_NOW"] = lambda: (starts - timedelta(minutes=5)).astimezone(UTC)
    return made


@pytest.fixture
def door(console, console_world, pg_sessions):
    """A signed-in member of the centre's staff."""
    with transaction(pg_sessions) as s:
        s.add(User(username="door", role="centre", display_name="Tür", centre_id=console_world.centre_id,
                   password_hash=_door_hash()))
    client = console.test_client()
    assert sign_in(client, "door", DOOR_PASSWORD).status_code == 302
    client.token = csrf_of(client, "/console/centre")
    return client


def test_centre_staff_land_on_check_in_and_see_nothing_else(door):
    assert door.get("/console/").headers["Location"].endswith("/console/centre")
    for page in ("/console/search?q=Schmidt", "/console/queue", "/console/fill", "/console/book",
                 "/console/supervisor/wallboard"):
        assert door.get(page).status_code == 403, page


def test_find_by_code_name_and_birth_date(door, booked):
    erna, karl = booked
    for query in (erna.code, "schmidt", erna.person.date_of_birth.strftime("%d.%m.%Y")):
        page = door.get("/console/centre", query_string={"q": query}).get_data(as_text=True)
        assert "Erna Schmidt" in page and "Karl Meier" not in page, query
    page = door.get("/console/centre").get_data(as_text=True)
    assert "Erna Schmidt" in page and "Karl Meier" in page and 'autocomplete="off" accesskey="k"' in page
    assert page.count("autofocus") == 1 and 'autofocus autocomplete="off" accesskey="k"' in page
    one = door.get("/console/centre", query_string={"q": erna.code}).get_data(as_text=True)
    assert one.count("autofocus") == 1 and 'required autocomplete="off" autofocus' in one  # on the batch field


def test_dose_given_with_batch_keeps_the_second_and_remembers_the_batch(door, booked, pg_sessions):
    erna = booked[0]
    response = post(door, f"/console/centre/bookings/{erna.id}/given", dose="first", batch="ex1234")
    assert response.status_code == 302
    with pg_sessions() as s:
        done = s.get(Booking, erna.id)
        assert (done.status, done.first_batch, done.second_slot_id is not None) == ("confirmed", "EX1234", True)
    page = door.get("/console/centre").get_data(as_text=True)
    assert 'value="EX1234"' in page  # the next person's batch field is filled in


def test_missing_batch_is_refused_kindly(door, booked, pg_sessions):
    post(door, f"/console/centre/bookings/{booked[0].id}/given", dose="first", batch=" ")
    assert "Chargennummer" in door.get("/console/centre").get_data(as_text=True)
    with pg_sessions() as s:
        assert s.get(Booking, booked[0].id).first_given_at is None


def test_turn_away_with_reason_frees_the_places(door, booked, pg_sessions):
    post(door, f"/console/centre/bookings/{booked[1].id}/turn-away", reason="Fieber")
    with pg_sessions() as s:
        gone = s.get(Booking, booked[1].id)
        assert (gone.status, gone.cancel_reason) == ("cancelled", "Fieber")
        assert len(s.scalars(select(FreedCapacity)).all()) == 2


def test_another_centres_booking_is_out_of_reach(door, console, console_world, pg_sessions):
    with transaction(pg_sessions) as s:
        other_first = s.scalar(select(Slot.id).where(Slot.centre_id == console_world.other_centre_id,
                                                     Slot.dose == "first").order_by(Slot.starts_at))
        other_second = s.scalar(select(Slot.id).where(Slot.centre_id == console_world.other_centre_id,
                                                      Slot.dose == "second").order_by(Slot.starts_at))
        elsewhere = changes.book_now(s, first_slot_id=other_first, second_slot_id=other_second,
                                     details=old_person("Otto Anders", phone=None), channel="agent", actor="agent:1")
    assert post(door, f"/console/centre/bookings/{elsewhere.id}/given", dose="first", batch="X1").status_code == 403


def test_supervisor_picks_a_centre_and_agents_are_refused(supervisor, agent, booked, console_world):
    page = supervisor.get("/console/centre", query_string={"centre_id": console_world.centre_id})
    assert page.status_code == 200 and "Erna Schmidt" in page.get_data(as_text=True)
    assert agent.get("/console/centre").status_code == 403


def test_agent_books_a_care_home_visit(agent, console_world, pg_sessions):
    page = agent.get("/console/visits", query_string={"centre_id": console_world.centre_id})
    assert page.status_code == 200 and 'name="residents"' in page.get_data(as_text=True)
    response = post(agent, "/console/visits", centre_id=console_world.centre_id,
                    pair=f"{console_world.firsts[0]}:{console_world.seconds[0]}", home_name="Pflegeheim Sonnenhof",
                    home_address="Sonnenweg 1", residents="Erna Schmidt; 03.03.1931\nKarl Meier; 21.07.1929")
    assert response.status_code == 302
    with pg_sessions() as s:
        assert s.scalar(select(func.count()).select_from(Booking).where(Booking.visit_id.isnot(None))) == 2
