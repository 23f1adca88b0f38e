"""Browser tests: Playwright drives Debian's chromium against the app served by a real server thread.

One browser per test session, a fresh context (cookies) per test; the app runs
in a werkzeug server on 127.0.0.1. Screenshots of failing tests are kept in
test-artifacts/ (see conftest.py, which also holds the browser, live and page fixtures).
"""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from shared_db import calls, clock, ledger
from shared_db.models import Booking, CallbackRequest, FreedCapacity, Slot
from shared_db.session import transaction
from shared_db.types import utcnow
from tests.agent_console.support import PASSWORDS, TIMEOUT_MS, old_person


def focused(page, element_id: str) -> None:
    """Wait until the page's autofocus has put the cursor into this field (typing earlier loses keys)."""
    page.wait_for_function(f"document.activeElement && document.activeElement.id === '{element_id}'")


def sign_in(page, username: str) -> None:
    """Sign in with the keyboard only: the user name field has focus, Tab to the password, Enter."""
    page.goto("/console/login")
    focused(page, "username")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORDS[username])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/console/$"))


def test_an_agents_day_find_by_phone_rebook_next_week_cancel_another_work_a_callback(page, console_world,
                                                                                   pg_sessions):
    """The agent's whole task, by keyboard and mouse as an agent would: every step through the pages."""
    with transaction(pg_sessions) as s:
        made = ledger.book(s, first_slot_id=console_world.firsts[0], second_slot_id=console_world.seconds[0],
                           details=old_person("Erna Schmidt", None), channel="phone", actor="call:CA1",
                           caller_number="+4952112345678")
        other = ledger.book(s, first_slot_id=console_world.firsts[1], second_slot_id=console_world.seconds[1],
                            details=old_person("Karl Klein", "+4915199887766"), channel="phone", actor="call:CA2")
        calls.request_callback(s, "+4952199990000", "de", "queue", place_at=utcnow())
        booking_id, other_id, next_week = made.id, other.id, clock.local_date(
            s.get(Slot, console_world.firsts[5]).starts_at)
    sign_in(page, "agent")
    focused(page, "q")
    page.keyboard.type("0521 1234 5678")  # the number she called from; her own number is unknown
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Erna Schmidt").click()
    assert page.locator('a[href="tel:+4952112345678"]').is_visible()
    page.get_by_role("link", name=re.compile("Umbuchen")).click()
    page.locator(f'a[href*="day={next_week.isoformat()}"]').click()
    assert page.locator("input[name=pair]:checked").count() == 0  # nothing preselected
    page.locator(f"#pair-{console_world.firsts[5]}").check()
    page.get_by_label("Grund der Umbuchung").fill("Wunsch der Person")
    page.get_by_role("button", name="Auf diesen Termin umbuchen").click()
    page.get_by_text("Umgebucht; die Person wird benachrichtigt.").wait_for()
    page.get_by_text(re.compile(r"umgebucht auf")).first.wait_for()  # the history says it in a sentence

    page.get_by_role("link", name="Suche", exact=True).click()
    page.get_by_label("Buchungscode, Telefonnummer oder Name").fill("Karl Klein")
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Karl Klein").click()
    page.get_by_role("link", name=re.compile("Stornieren")).click()
    page.get_by_text("SMS an 01519 9887766").wait_for()  # says who is told before anything happens
    page.get_by_label("Grund der Stornierung").fill("Termin beim Hausarzt")
    page.get_by_role("button", name="Ja, Termin stornieren").click()
    page.get_by_text("Buchung storniert; die Person wird benachrichtigt.").wait_for()

    page.get_by_role("link", name="Rückrufe").click()
    page.get_by_role("button", name="Nächsten Rückruf übernehmen").click()
    assert page.locator('a[href="tel:+4952199990000"]').is_visible()
    page.get_by_role("button", name="Speichern").click()  # no outcome chosen: the browser refuses
    assert page.locator("select[name=outcome]:invalid").count() == 1
    page.get_by_label("Ergebnis").select_option(label="Erreicht, kein Termin")
    page.get_by_role("button", name="Speichern").click()
    page.get_by_text("Ergebnis gespeichert.").wait_for()
    with transaction(pg_sessions) as s:
        moved = s.get(Booking, booking_id)
        assert (moved.first_slot_id, moved.second_slot_id) == (console_world.firsts[5], console_world.seconds[5])
        assert s.get(Booking, other_id).status == "cancelled"
        assert s.scalar(select(CallbackRequest.status)) == "done"


def test_claim_and_finish_a_fill_task(page, console_world, pg_sessions):
    with transaction(pg_sessions) as s:
        gone = ledger.book(s, first_slot_id=console_world.firsts[0], second_slot_id=console_world.seconds[0],
                           details=old_person("Otto Storno", "+4952100002222"), channel="phone", actor="call:CA1")
        later = ledger.book(s, first_slot_id=console_world.firsts[5], second_slot_id=console_world.seconds[5],
                            details=old_person("Hilde Eins", "+4952100004444"), channel="phone", actor="call:CA2")
        ledger.cancel(s, gone.id, actor="agent:0", reason="verstorben")
        task_id = s.scalar(select(FreedCapacity.id).where(FreedCapacity.slot_id == console_world.firsts[0]))
        later_id = later.id
    sign_in(page, "agent")
    page.get_by_role("link", name="Freie Termine füllen").click()
    page.locator(f"#task-{task_id}").get_by_role("button", name="Übernehmen").click()
    page.wait_for_url(re.compile(rf"/console/fill/{task_id}$"))
    row = page.locator("#candidates tr", has_text="Hilde Eins")
    row.get_by_role("link", name=re.compile("Vorziehen")).click()
    page.get_by_text(re.compile(r"wird von .* vorgezogen")).wait_for()  # asks first, saying what happens
    page.get_by_role("button", name="Ja, Termin vorziehen").click()
    page.get_by_text(re.compile(r"Termin vorgezogen \(Code \d+\)")).wait_for()
    with transaction(pg_sessions) as s:
        assert s.get(FreedCapacity, task_id).status == "filled"
        assert s.get(Booking, later_id).first_slot_id == console_world.firsts[0]


def test_wallboard_queue_count_changes_when_a_call_enters_the_queue(page, console_world, pg_sessions):
    sign_in(page, "super")
    page.goto("/console/supervisor/wallboard")
    count = page.locator("#wall-queue")
    assert count.inner_text() == "0"
    assert page.locator("#chart-bookings rect, #chart-bookings line").count() >= 1  # the SVG chart is drawn
    with transaction(pg_sessions) as s:  # a simulated caller joins the agent queue through the IVR's own code
        entry = calls.enqueue(s, "CA" + "7" * 32, "+4952155555555", "de")
        entry.enqueued_at -= timedelta(seconds=30)  # and has waited half a minute: past the abandon threshold
    page.wait_for_function("document.getElementById('wall-queue').textContent === '1'", timeout=TIMEOUT_MS)
    with transaction(pg_sessions) as s:
        calls.leave_queue(s, "CA" + "7" * 32, "abandoned")
    page.wait_for_function("document.getElementById('wall-queue').textContent === '0'", timeout=TIMEOUT_MS)
    assert page.locator("[data-key='today.abandoned']").inner_text() == "1"


def test_agent_is_turned_away_from_the_wallboard(page, console_world):
    sign_in(page, "agent")
    response = page.goto("/console/supervisor/wallboard")
    assert response.status == 403
    assert page.get_by_text("Supervisorinnen und Supervisoren vorbehalten").is_visible()


def test_a_supervisor_cleans_up_phantoms_after_confirming(page, console_world, pg_sessions):
    with transaction(pg_sessions) as s:
        ids = [ledger.book(s, first_slot_id=console_world.firsts[i], second_slot_id=console_world.seconds[i],
                           details=old_person(f"Max Muster{i}", None), channel="phone", actor=f"call:CA{i}",
                           caller_number="+4915199999999", caller_limit=10).id for i in range(3)]
    sign_in(page, "super")
    page.get_by_role("link", name="Phantombuchungen").click()
    for booking_id in ids[:2]:
        page.locator(f'input[name=booking_id][value="{booking_id}"]').check()
    page.get_by_label("Grund der Stornierung").fill("Fake-Serie von einer Nummer")
    page.get_by_role("button", name=re.compile("Ausgewählte stornieren")).click()
    page.get_by_text("2 Buchungen werden storniert (beide Impfungen).").wait_for()
    with transaction(pg_sessions) as s:
        assert {s.get(Booking, i).status for i in ids} == {"confirmed"}  # the question changed nothing
    page.get_by_role("button", name="Ja, 2 Buchungen stornieren").click()
    page.get_by_text("2 Buchungen storniert.").wait_for()
    with transaction(pg_sessions) as s:
        assert [s.get(Booking, i).status for i in ids] == ["cancelled", "cancelled", "confirmed"]
