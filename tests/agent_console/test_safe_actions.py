"""Actions that are hard to get wrong: outcomes without a default, a note to give up a fill task, the phantom
bulk cancel that asks first, the queue count in agreement."""
from __future__ import annotations

from sqlalchemy import select

from shared_db import ledger
from shared_db.models import AuditEntry, Booking, CallbackRequest, FreedCapacity
from shared_db.session import transaction
from tests.agent_console.support import old_person, post
from tests.agent_console.test_calls import callback, enqueue


def test_the_callback_outcome_has_no_default_and_an_empty_one_is_refused(agent, pg_sessions):
    row_id = callback(pg_sessions, "+4952100000009", 10)
    post(agent, f"/console/callbacks/{row_id}/claim")
    page = agent.get("/console/callbacks").get_data(as_text=True)
    assert '<select id="cbo-' in page and 'name="outcome" required><option value="" selected>' in page
    response = post(agent, f"/console/callbacks/{row_id}/outcome", outcome="")
    assert "Bitte wählen Sie ein Ergebnis aus" in agent.get(response.headers["Location"]).get_data(as_text=True)
    with transaction(pg_sessions) as s:
        row = s.get(CallbackRequest, row_id)
        assert (row.status, row.attempts, row.outcome) == ("claimed", 0, None)


def test_a_call_outcome_without_a_choice_is_refused(agent, pg_sessions):
    entry_id = enqueue(pg_sessions, "CA" + "9" * 32, 30)
    post(agent, "/console/queue/take")
    page = agent.get("/console/queue").get_data(as_text=True)
    assert f'<select id="oc-{entry_id}" name="outcome" required><option value="" selected>' in page
    post(agent, f"/console/queue/{entry_id}/outcome", outcome="")
    with transaction(pg_sessions) as s:
        assert s.scalar(select(AuditEntry.id).where(AuditEntry.action == "call_outcome")) is None


def test_giving_up_a_fill_task_needs_a_note(agent, console_world, pg_sessions):
    with transaction(pg_sessions) as s:
        gone = ledger.book(s, first_slot_id=console_world.firsts[0], second_slot_id=console_world.seconds[0],
                           details=old_person("Otto Storno", "+4952100002222"), channel="phone", actor="call:CA1")
        ledger.cancel(s, gone.id, actor="agent:0", reason="verstorben")
        task_id = s.scalar(select(FreedCapacity.id).where(FreedCapacity.slot_id == console_world.firsts[0]))
    post(agent, f"/console/fill/{task_id}/claim")
    response = post(agent, f"/console/fill/{task_id}/outcome", outcome="lapsed", note=" ")
    assert "die Aufgabe bleibt offen" in agent.get(response.headers["Location"]).get_data(as_text=True)
    with transaction(pg_sessions) as s:
        assert s.get(FreedCapacity, task_id).status == "claimed"


def phantom_bookings(pg_sessions, console_world) -> list[int]:
    """Three people booked from one number within minutes: flagged as phantoms."""
    ids = []
    with transaction(pg_sessions) as s:
        for i in range(3):
            made = ledger.book(s, first_slot_id=console_world.firsts[i], second_slot_id=console_world.seconds[i],
                               details=old_person(f"Phan Tom{i}", f"+491511234560{i}"), channel="phone",
                               actor=f"call:CA{i}", caller_number="+4952199999999")
            ids.append(made.id)
    return ids


def test_the_phantom_bulk_cancel_asks_first_and_changes_nothing_until_confirmed(supervisor, console_world,
                                                                               pg_sessions):
    ids = phantom_bookings(pg_sessions, console_world)
    page = supervisor.get("/console/supervisor/phantoms").get_data(as_text=True)
    assert 'action="/console/supervisor/phantoms/confirm"' in page
    question = post(supervisor, "/console/supervisor/phantoms/confirm", booking_id=[str(i) for i in ids[:2]],
                    reason="Fake-Buchung").get_data(as_text=True)
    assert "2 Buchungen werden storniert" in question and "2 Personen erhalten eine Nachricht" in question
    assert "Ja, 2 Buchungen stornieren" in question and "Phan Tom0" in question and "Phan Tom2" not in question
    with transaction(pg_sessions) as s:
        assert {s.get(Booking, i).status for i in ids} == {"confirmed"}
    post(supervisor, "/console/supervisor/phantoms/cancel", booking_id=[str(i) for i in ids[:2]], reason="Fake-Buchung")
    with transaction(pg_sessions) as s:
        assert [s.get(Booking, i).status for i in ids] == ["cancelled", "cancelled", "confirmed"]


def test_the_phantom_question_needs_a_selection_and_a_reason(supervisor, console_world, pg_sessions):
    ids = phantom_bookings(pg_sessions, console_world)
    response = post(supervisor, "/console/supervisor/phantoms/confirm", booking_id=[str(ids[0])], reason="")
    assert "Bitte einen Grund angeben." in supervisor.get(response.headers["Location"]).get_data(as_text=True)


def test_the_queue_count_agrees_with_the_number_of_callers(agent, pg_sessions):
    assert "Niemand wartet" in agent.get("/console/queue").get_data(as_text=True)
    enqueue(pg_sessions, "CA" + "1" * 32, 30)
    assert "1 Person wartet" in agent.get("/console/queue").get_data(as_text=True)
    enqueue(pg_sessions, "CA" + "2" * 32, 20, "+4952122222222")
    assert "2 Personen warten" in agent.get("/console/queue").get_data(as_text=True)


def test_in_the_demo_take_next_caller_reaches_twilios_stand_in_and_says_so(agent, console, pg_sessions):
    from services.twilio_standin import StandInHttpClient

    standin = StandInHttpClient()
    console.config.update(TWILIO_HTTP_CLIENT=standin, TWILIO_STANDIN=True)
    entry_id = enqueue(pg_sessions, "CA" + "5" * 32, 40)
    response = post(agent, "/console/queue/take")
    page = agent.get(response.headers["Location"]).get_data(as_text=True)
    assert "Stand-in hat den Anruf zu Ihnen umgeleitet" in page and f'id="oc-{entry_id}"' in page
    assert [r["action"] for r in standin.recent] == ["redirect"]
