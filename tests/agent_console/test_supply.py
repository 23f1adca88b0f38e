"""Supervisors' supply page: stock against places, a preview that changes nothing, bulk actions that tell people."""
from __future__ import annotations

from sqlalchemy import func, select

from shared_db.ledger import changes
from shared_db.models import Booking, Delivery, Notification, Slot
from shared_db.session import transaction
from tests.agent_console.support import at, old_person, post


def _book_two(pg_sessions, world):
    with transaction(pg_sessions) as s:
        for i, name in enumerate(("Erna Schmidt", "Karl Meier")):
            changes.book_now(s, first_slot_id=world.firsts[i], second_slot_id=world.seconds[i],
                             details=old_person(name, phone=f"+49151123456{i}0", years=85 + i), channel="agent",
                             actor="agent:1")


def _scope(world, first: int = 2, last: int = 3) -> dict:
    return {"centre_id": world.centre_id, "vaccine_id": world.vaccine_id,
            "first_day": at(first).strftime("%d.%m.%Y"), "last_day": at(last).strftime("%d.%m.%Y")}


def test_agents_are_refused(agent):
    assert agent.get("/console/supervisor/supply").status_code == 403


def test_preview_counts_and_changes_nothing(supervisor, console_world, pg_sessions):
    _book_two(pg_sessions, console_world)
    page = supervisor.get("/console/supervisor/supply", query_string={**_scope(console_world), "preview": "1"})
    assert "Betroffen: 2 Buchungen" in page.get_data(as_text=True)
    with pg_sessions() as s:
        assert s.scalar(select(func.count()).select_from(Booking).where(Booking.status == "confirmed")) == 2


def test_cancel_tells_each_person(supervisor, console_world, pg_sessions):
    _book_two(pg_sessions, console_world)
    response = post(supervisor, "/console/supervisor/supply/apply", action="cancel", reason="Lieferung gekürzt",
                    **_scope(console_world))
    assert response.status_code == 302
    with pg_sessions() as s:
        assert s.scalar(select(func.count()).select_from(Notification).where(
            Notification.kind == "cancelled_supply")) == 2


def test_a_reason_is_required(supervisor, console_world, pg_sessions):
    _book_two(pg_sessions, console_world)
    post(supervisor, "/console/supervisor/supply/apply", action="cancel", reason=" ", **_scope(console_world))
    with pg_sessions() as s:
        assert s.scalar(select(func.count()).select_from(Booking).where(Booking.status == "confirmed")) == 2


def test_recording_a_delivery_caps_the_week(supervisor, console_world, pg_sessions):
    post(supervisor, "/console/supervisor/supply/delivery", centre_id=console_world.centre_id,
         vaccine_id=console_world.vaccine_id, week=at(2).strftime("%d.%m.%Y"), doses="0", status="expected")
    with pg_sessions() as s:
        assert s.scalar(select(Delivery.doses)) == 0
        first = s.get(Slot, console_world.firsts[0])
        assert first.phone_capacity + first.online_capacity == 0
    assert "Woche ab" in supervisor.get("/console/supervisor/supply").get_data(as_text=True)
