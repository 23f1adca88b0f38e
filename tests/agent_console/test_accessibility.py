"""Accessible to every agent (BITV 2.0 / WCAG 2.1 AA): axe-core on every page finds no serious or critical
violation, the keyboard focus is visible, pages reflow at 200 % zoom, the wallboard fits 1920x1080; and
screenshots of every page in German at 1366x768 and 1920x1080 land in test-artifacts/screens/.

The console runs on the busy demo day (shared_db/operations/demo_day.py), so the pages are full, as at work.
axe-core is npm's package, pinned in .ci/axe/ and installed by .ci/run; the test injects axe.min.js.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from shared_db import clock
from shared_db.models import Booking, CallbackRequest, FreedCapacity
from shared_db.operations.demo import seed_demo
from shared_db.operations.demo_day import PHANTOM_NUMBER, BusyDay
from shared_db.session import transaction
from shared_db.types import utcnow
from tests.agent_console.support import PASSWORDS
from tests.real_services import unavailable

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / ".ci" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SCREENS = ROOT / "test-artifacts" / "screens"
SIZES = ((1366, 768), (1920, 1080))
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        unavailable("axe-core", FileNotFoundError(f"{AXE} is missing: run `npm ci --prefix .ci/axe`"))
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def busy(console, pg_sessions) -> dict:
    """The demo centres and a busy working day; ids of the things the pages are about."""
    with transaction(pg_sessions) as s:
        seed_demo(s, clock.today(), days=7)
        BusyDay(s, utcnow()).seed()
        booking = s.scalar(select(Booking).where(Booking.status == "confirmed", Booking.caller_number.is_(None))
                           .order_by(Booking.id))
        task = s.scalar(select(FreedCapacity).order_by(FreedCapacity.id))
        phantom = s.scalar(select(Booking.id).where(Booking.caller_number == PHANTOM_NUMBER))
        return {"person": booking.person_id, "booking": booking.id, "task": task.id, "phantom": phantom,
                "callback": s.scalar(select(CallbackRequest.id))}


def sign_in(page, username: str) -> None:
    page.goto("/console/login")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(PASSWORDS[username])
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(re.compile(r"/console/$"))


def serious_violations(page, axe_source: str) -> list[str]:
    """axe-core's serious and critical findings for the page as it is now (WCAG 2.1 A and AA rules)."""
    page.add_script_tag(content=axe_source)
    result = page.evaluate("options => axe.run(document, options)", {"runOnly": {"type": "tag", "values": WCAG}})
    return [f"{v['id']} ({v['impact']}): {v['help']} -- {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def shoot(page, name: str) -> None:
    """Screenshots of the page at both sizes (full page, so what scrolls is seen too)."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SCREENS / f"{name}-{width}x{height}.png"), full_page=True)


def agent_pages(ids: dict) -> dict[str, str]:
    return {"start": "/console/", "search": "/console/search?q=0521+400000",
            "person": f"/console/people/{ids['person']}", "book": "/console/book",
            "book-check": "/console/book?name=Erna+Beispiel&dob=31.02.1940&postcode=48143",
            "book-calendar": "/console/book?name=Erna+Beispiel&dob=06.04.1938&postcode=48143&phone=0251+123456",
            "rebook": f"/console/bookings/{ids['booking']}/rebook",
            "cancel": f"/console/bookings/{ids['booking']}/cancel", "queue": "/console/queue",
            "callbacks": "/console/callbacks", "fill": "/console/fill"}


SUPERVISOR_PAGES = {"wallboard": "/console/supervisor/wallboard", "phantoms": "/console/supervisor/phantoms",
                    "settings": "/console/supervisor/settings", "failed-messages": "/console/supervisor/messages"}


def check(page, axe_source: str, name: str, path: str, found: dict) -> None:
    page.goto(path)
    found[name] = serious_violations(page, axe_source)
    shoot(page, name)


def test_agent_pages_pass_axe_and_are_photographed(page, busy, axe_source):
    sign_in(page, "agent")
    found: dict[str, list[str]] = {}
    for name, path in agent_pages(busy).items():
        check(page, axe_source, name, path, found)
    page.goto("/console/callbacks")
    page.get_by_role("button", name="Nächsten Rückruf übernehmen").click()
    found["callback-claimed"] = serious_violations(page, axe_source)
    shoot(page, "callback-claimed")
    page.goto("/console/fill")
    page.locator(f"#task-{busy['task']}").get_by_role("button", name="Übernehmen").click()
    found["fill-task"] = serious_violations(page, axe_source)
    shoot(page, "fill-task")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/console/login")
    assert not {k: v for k, v in found.items() if v}, json.dumps(found, indent=1, ensure_ascii=False)


def test_supervisor_pages_pass_axe_and_are_photographed(page, busy, axe_source):
    sign_in(page, "super")
    found: dict[str, list[str]] = {}
    for name, path in SUPERVISOR_PAGES.items():
        check(page, axe_source, name, path, found)
    page.goto("/console/supervisor/phantoms")
    page.locator(f'input[name=booking_id][value="{busy["phantom"]}"]').check()
    page.get_by_label("Grund der Stornierung").fill("Fake-Serie von einer Nummer")
    page.get_by_role("button", name=re.compile("Ausgewählte stornieren")).click()
    found["phantoms-confirm"] = serious_violations(page, axe_source)
    shoot(page, "phantoms-confirm")
    assert not {k: v for k, v in found.items() if v}, json.dumps(found, indent=1, ensure_ascii=False)


def test_the_login_page_passes_axe(page, console, axe_source):
    page.goto("/console/login")
    assert serious_violations(page, axe_source) == []
    shoot(page, "login")


def test_the_keyboard_focus_is_visible_on_every_kind_of_control(page, busy):
    sign_in(page, "agent")
    page.goto(f"/console/people/{busy['person']}")
    styles = []
    for _ in range(12):
        page.keyboard.press("Tab")
        styles.append(page.evaluate("""() => { const e = document.activeElement, s = getComputedStyle(e);
            return [e.tagName, s.outlineStyle, parseFloat(s.outlineWidth)]; }"""))
    assert len({tag for tag, _, _ in styles}) >= 2  # links, buttons, fields were reached
    assert all(style != "none" and width >= 2 for _, style, width in styles), styles


def test_pages_reflow_at_200_percent_zoom_without_sideways_scrolling(page, busy):
    """1366x768 at 200 % is a 683 px wide viewport: text must wrap, not run off to the side."""
    sign_in(page, "agent")
    page.set_viewport_size({"width": 683, "height": 384})
    wide = {}
    for name, path in agent_pages(busy).items():
        page.goto(path)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 1:
            wide[name] = overflow
    assert not wide, wide


def test_the_wallboard_fits_1920x1080_without_a_scrollbar(page, busy):
    sign_in(page, "super")
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto("/console/supervisor/wallboard")
    page.locator("#chart-calls line.grid").first.wait_for(state="attached")
    size = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert size[0] <= 1920 and size[1] <= 1080, size
    assert page.locator("#heat tbody tr").count() == 4  # every demo centre in the heat table
    assert page.locator("#chart-calls text").filter(has_text=re.compile(r"^\d+$")).count() >= 3  # axis labels
