"""Fill freed places: tasks from freed_capacity, candidates, claim, move up (one transaction), give up."""
from __future__ import annotations

import threading
from datetime import date, timedelta

from sqlalchemy import func, select

from shared_db import ledger
from shared_db.models import AuditEntry, Booking, FreedCapacity, Notification, Person, Slot
from shared_db.operations import fill_tasks
from shared_db.people import PersonDetails, name_key
from shared_db.session import transaction
from shared_db.types import utcnow
from tests.agent_console.support import old_person, post, user_id


def booked(pg_sessions, console_world, index, name, phone="+4952100001111", group=None):
    with transaction(pg_sessions) as s:
        details = old_person(name, phone)
        if group:
            details = PersonDetails(**{**details.__dict__, "priority_group": group})
        made = ledger.book(s, first_slot_id=console_world.firsts[index], second_slot_id=console_world.seconds[index],
                           details=details, channel="phone", actor="call:CA1")
        return made.id


def freed_task(pg_sessions, console_world) -> int:
    """Cancel a booking on the first day: its first dose becomes a task."""
    victim = booked(pg_sessions, console_world, 0, "Otto Storno", "+4952100002222")
    with transaction(pg_sessions) as s:
        ledger.cancel(s, victim, actor="agent:0", reason="verstorben")
        return s.scalar(select(FreedCapacity.id).where(FreedCapacity.slot_id == console_world.firsts[0]))


def test_task_list_shows_places_freed_in_the_next_days(agent, console_world, pg_sessions):
    task_id = freed_task(pg_sessions, console_world)
    page = agent.get("/console/fill").get_data(as_text=True)
    assert f'id="task-{task_id}"' in page and "Stornierung" in page


def test_candidates_are_later_bookings_first_ordered_by_group_then_waiting(agent, console_world, pg_sessions):
    task_id = freed_task(pg_sessions, console_world)
    later_group2 = booked(pg_sessions, console_world, 4, "Gerd Zwei", "+4952100003333", group=2)
    later_group1 = booked(pg_sessions, console_world, 5, "Hilde Eins", "+4952100004444", group=1)
    unreachable = booked(pg_sessions, console_world, 3, "Ida Ohnetelefon", None)
    with transaction(pg_sessions) as s:
        task = s.get(FreedCapacity, task_id)
        found = fill_tasks.candidates(s, task, utcnow())
        ids = [c.booking.id for c in found if c.kind == "move_up"]
    assert ids == [later_group1, later_group2] and unreachable not in ids


def test_notify_list_people_follow_the_later_bookings(agent, console_world, pg_sessions):
    task_id = freed_task(pg_sessions, console_world)
    with transaction(pg_sessions) as s:
        today = date.today()
        waiting = Person(name="Nora Notify", name_key=name_key("Nora Notify"),
                         date_of_birth=date(today.year - 82, 1, 1),
                         phone="+4952100005555", registered_via="phone", retention_until=today + timedelta(days=14),
                         wants_notification=True)
        young = Person(name="Yara Jung", name_key=name_key("Yara Jung"), date_of_birth=date(today.year - 30, 1, 1),
                       phone="+4952100006666", registered_via="phone", retention_until=today + timedelta(days=14),
                       wants_notification=True)
        s.add_all([waiting, young])
        s.flush()
        found = fill_tasks.candidates(s, s.get(FreedCapacity, task_id), utcnow())
        assert [c.person.name for c in found if c.kind == "notify"] == ["Nora Notify"]


def test_claim_move_up_and_the_later_place_becomes_a_task(agent, console, console_world, pg_sessions):
    task_id = freed_task(pg_sessions, console_world)
    later = booked(pg_sessions, console_world, 5, "Hilde Eins", "+4952100004444")
    assert "Hilde Eins" not in agent.get(f"/console/fill/{task_id}").get_data(as_text=True)  # claim first
    post(agent, f"/console/fill/{task_id}/claim")
    page = agent.get(f"/console/fill/{task_id}").get_data(as_text=True)
    assert "Hilde Eins" in page and 'value="moved_up"' not in page  # one click only asks
    assert f"/console/fill/{task_id}/move-up?booking_id={later}" in page
    question = agent.get(f"/console/fill/{task_id}/move-up?booking_id={later}").get_data(as_text=True)
    assert 'value="moved_up"' in question and "vorgezogen" in question and "0521 00004444" in question
    response = post(agent, f"/console/fill/{task_id}/outcome", outcome="moved_up", booking_id=str(later))
    assert response.status_code == 302
    with transaction(pg_sessions) as s:
        moved = s.get(Booking, later)
        assert moved.first_slot_id == console_world.firsts[0]
        assert moved.second_slot_id == console_world.seconds[5]  # still inside 21-42 days of the new first dose
        task = s.get(FreedCapacity, task_id)
        assert (task.status, task.filled_booking_id) == ("filled", later)
        new_task = s.scalar(select(FreedCapacity).where(FreedCapacity.slot_id == console_world.firsts[5]))
        assert new_task.status == "open" and new_task.reason == "moved_up"
        old = s.get(Slot, console_world.firsts[5])
        assert old.phone_taken + old.online_taken == 0
        actors = set(s.scalars(select(AuditEntry.actor).where(AuditEntry.action.in_(("rebooked", "fill_filled")))))
        assert actors == {f"agent:{user_id(console, 'agent')}"}
        assert s.scalar(select(Notification.kind).where(Notification.booking_id == later)) == "rebooked"


def test_move_up_that_needs_a_new_second_dose_uses_the_ledger_rebook(agent, console_world, pg_sessions):
    task_id = freed_task(pg_sessions, console_world)
    with transaction(pg_sessions) as s:
        # A booking whose second dose is 43 days after the freed first dose: it must move too.
        far_first, far_second = s.get(Slot, console_world.firsts[5]), s.get(Slot, console_world.seconds[5])
        far_second.starts_at = s.get(Slot, console_world.firsts[0]).starts_at + timedelta(days=43)
        assert far_first.dose == "first"
    later = booked(pg_sessions, console_world, 5, "Hilde Eins", "+4952100004444")
    post(agent, f"/console/fill/{task_id}/claim")
    post(agent, f"/console/fill/{task_id}/outcome", outcome="moved_up", booking_id=str(later))
    with transaction(pg_sessions) as s:
        moved = s.get(Booking, later)
        assert (moved.first_slot_id, moved.second_slot_id) == (console_world.firsts[0], console_world.seconds[0])
        assert {f.slot_id for f in s.scalars(select(FreedCapacity).where(FreedCapacity.status == "open"))} >= {
            console_world.firsts[5], console_world.seconds[5]}


def test_only_the_claiming_agent_can_finish_and_claims_expire(agent, console, console_world, pg_sessions):
    from tests.agent_console.support import csrf_of, sign_in

    task_id = freed_task(pg_sessions, console_world)
    later = booked(pg_sessions, console_world, 5, "Hilde Eins")
    other = console.test_client()
    sign_in(other, "agent2")
    other.token = csrf_of(other, "/console/")
    post(agent, f"/console/fill/{task_id}/claim")
    post(other, f"/console/fill/{task_id}/claim")
    post(other, f"/console/fill/{task_id}/outcome", outcome="moved_up", booking_id=str(later))
    with transaction(pg_sessions) as s:
        task = s.get(FreedCapacity, task_id)
        assert task.claimed_by == user_id(console, "agent") and task.status == "claimed"
        assert s.get(Booking, later).first_slot_id == console_world.firsts[5]
        task.claim_expires_at = utcnow() - timedelta(seconds=1)
    post(other, f"/console/fill/{task_id}/claim")
    with transaction(pg_sessions) as s:
        assert s.get(FreedCapacity, task_id).claimed_by == user_id(console, "agent2")


def test_give_up_and_release(agent, console_world, pg_sessions):
    task_id = freed_task(pg_sessions, console_world)
    post(agent, f"/console/fill/{task_id}/claim")
    post(agent, f"/console/fill/{task_id}/release")
    with transaction(pg_sessions) as s:
        assert s.get(FreedCapacity, task_id).status == "open"
    post(agent, f"/console/fill/{task_id}/claim")
    post(agent, f"/console/fill/{task_id}/outcome", outcome="lapsed", note="niemand erreicht")
    with transaction(pg_sessions) as s:
        task = s.get(FreedCapacity, task_id)
        assert task.status == "lapsed" and "niemand erreicht" in task.outcome
    assert f'id="task-{task_id}"' not in agent.get("/console/fill").get_data(as_text=True)


def test_book_a_notify_list_person_onto_the_freed_place(agent, console_world, pg_sessions):
    task_id = freed_task(pg_sessions, console_world)
    with transaction(pg_sessions) as s:
        today = date.today()
        person = Person(name="Nora Notify", name_key=name_key("Nora Notify"), date_of_birth=date(today.year - 82, 1, 1),
                        phone="+4952100005555", registered_via="phone", retention_until=today + timedelta(days=14),
                        wants_notification=True)
        s.add(person)
        s.flush()
        person_id = person.id
    post(agent, f"/console/fill/{task_id}/claim")
    post(agent, f"/console/fill/{task_id}/outcome", outcome="booked", person_id=str(person_id))
    with transaction(pg_sessions) as s:
        made = s.scalar(select(Booking).where(Booking.person_id == person_id))
        assert made.first_slot_id == console_world.firsts[0] and made.channel == "agent"
        assert s.get(FreedCapacity, task_id).status == "filled"


def test_click_to_call_a_candidate(agent, recording_twilio, console_world, pg_sessions):
    task_id = freed_task(pg_sessions, console_world)
    later = booked(pg_sessions, console_world, 5, "Hilde Eins", "+4952100004444")
    post(agent, f"/console/fill/{task_id}/claim")
    post(agent, f"/console/fill/{task_id}/call", kind="booking", target_id=str(later))
    [request] = recording_twilio.requests
    assert request["operation"] == "CreateCall" and f"/console/twiml/bridge/booking/{later}" in request["data"]["Url"]


def test_only_one_of_many_concurrent_claims_wins(console, console_world, pg_sessions):
    """Race on real PostgreSQL connections: 20 agents claim the same task at once."""
    task_id = freed_task(pg_sessions, console_world)
    winners, barrier = [], threading.Barrier(20)

    def attempt(agent_id: int) -> None:
        barrier.wait()
        with transaction(pg_sessions) as s:
            if fill_tasks.claim(s, task_id, agent_id, utcnow()):
                winners.append(agent_id)

    uid = user_id(console, "agent")
    threads = [threading.Thread(target=attempt, args=(uid if i % 2 else user_id(console, "agent2"),))
               for i in range(20)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    with transaction(pg_sessions) as s:
        task = s.get(FreedCapacity, task_id)
    # A user re-claiming its own task renews it; so the winners all are the first winner.
    assert winners and set(winners) == {winners[0]} and task.claimed_by == winners[0]


def test_concurrent_move_ups_fill_the_place_once(console, console_world, pg_sessions):
    """Two agents' move-ups of different people onto one freed place: the pool never goes over."""
    task_id = freed_task(pg_sessions, console_world)
    with transaction(pg_sessions) as s:
        slot = s.get(Slot, console_world.firsts[0])
        slot.online_capacity = slot.online_taken  # leave exactly the one freed phone place
        slot.phone_capacity = slot.phone_taken + 1
    a = booked(pg_sessions, console_world, 4, "Anna A", "+4952100007777")
    b2 = booked(pg_sessions, console_world, 5, "Berta B", "+4952100008888")
    uid = user_id(console, "agent")
    with transaction(pg_sessions) as s:
        assert fill_tasks.claim(s, task_id, uid, utcnow())
    results, barrier = [], threading.Barrier(2)

    def attempt(booking_id: int) -> None:
        barrier.wait()
        try:
            with transaction(pg_sessions) as s:
                fill_tasks.move_up(s, task_id, booking_id, uid, utcnow())
            results.append("ok")
        except Exception as exc:  # noqa: BLE001 - the loser's typed error
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=attempt, args=(x,)) for x in (a, b2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert results.count("ok") == 1, results
    with transaction(pg_sessions) as s:
        slot = s.get(Slot, console_world.firsts[0])
        assert slot.phone_taken <= slot.phone_capacity and slot.online_taken <= slot.online_capacity
        assert s.scalar(select(func.count()).select_from(Booking).where(
            Booking.first_slot_id == console_world.firsts[0], Booking.status == "confirmed")) == 1
