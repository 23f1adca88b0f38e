"""Fixtures for the console tests: users, signed-in clients, a small world of slots near today, a recording
Twilio, and the browser tests' chromium and live server. Helpers are in tests/agent_console/support.py."""
from __future__ import annotations

import logging
import re
import shutil
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from shared_db.ledger.slots import new_slot
from shared_db.models import CampaignWindow, PriorityGroup, User
from shared_db.session import transaction
from tests import builders as b
from tests.agent_console.support import TIMEOUT_MS, ConsoleWorld, at, csrf_of, password_hash, sign_in
from tests.agent_console.twilio_contract import RecordingTwilio
from tests.real_services import unavailable

CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def recording_twilio():
    """Twilio's REST client transport for the console: records requests, checks them against the contract."""
    return RecordingTwilio()


@pytest.fixture
def console(app, pg_sessions, recording_twilio):
    """The app with a recording Twilio client, an agent (with a phone), a second agent and a supervisor."""
    app.config["TWILIO_HTTP_CLIENT"] = recording_twilio
    with transaction(pg_sessions) as s:
        people = (("agent", "agent", "Anna Agent", "+4952112345601"), ("agent2", "agent", "Bernd Agent", None),
                  ("super", "supervisor", "Sabine Super", None))
        users = [User(username=name, role=role, display_name=shown, phone=phone, password_hash=password_hash(name))
                 for name, role, shown, phone in people]
        s.add_all(users)
        s.flush()
        ids = {u.username: u.id for u in users}
    app.config["TEST_USER_IDS"] = ids
    return app


@pytest.fixture
def agent(console):
    client = console.test_client()
    assert sign_in(client, "agent").status_code == 302
    client.token = csrf_of(client, "/console/")
    return client


@pytest.fixture
def supervisor(console):
    client = console.test_client()
    assert sign_in(client, "super").status_code == 302
    client.token = csrf_of(client, "/console/")
    return client


@pytest.fixture
def console_world(console, pg_sessions) -> ConsoleWorld:
    """Two centres, BNT slots for the next week (each with its second dose), group 1 open to all channels."""
    with transaction(pg_sessions) as s:
        vaccine = b.vaccine(s, "BNT")
        centre = b.centre(s, "Impfzentrum Bielefeld")
        other = b.centre(s, "Impfzentrum Gütersloh", district="Gütersloh", postcodes=("33330",))
        firsts, seconds = [], []
        for day in range(2, 8):
            first = new_slot(centre, vaccine, at(day), "first", 2, 2)
            second = new_slot(centre, vaccine, at(day + 21), "second", 2, 2)
            s.add_all([first, second, new_slot(other, vaccine, at(day, 11), "first", 2, 2),
                       new_slot(other, vaccine, at(day + 21, 11), "second", 2, 2)])
            s.flush()
            firsts.append(first.id)
            seconds.append(second.id)
        group = s.scalar(select(PriorityGroup).where(PriorityGroup.number == 1))
        s.add(CampaignWindow(group_id=group.id, opens_on=date.today() - timedelta(days=30),
                             channels="phone,online,agent"))
        return ConsoleWorld(centre.id, other.id, vaccine.id, firsts, seconds)


@pytest.fixture(scope="session")
def browser():
    """One headless chromium for the whole session (the system's, never a download)."""
    executable = shutil.which("chromium")
    if executable is None:
        unavailable("chromium", FileNotFoundError("chromium is not installed (apt-get install chromium)"))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def live(console):
    """The console app served over HTTP by a real server thread on 127.0.0.1."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    console.config["CONSOLE_WALLBOARD_POLL_SECONDS"] = 2
    server = make_server("127.0.0.1", 0, console, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def page(browser, live, request):
    context = browser.new_context(base_url=live, locale="de-DE")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    request.node.browser_page = page  # for the screenshot on failure (below)
    yield page
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep a screenshot of the browser page when a browser test fails (test-artifacts/)."""
    outcome = yield
    report = outcome.get_result()
    page = getattr(item, "browser_page", None)
    if report.when == "call" and report.failed and page is not None:
        from pathlib import Path

        folder = Path(__file__).resolve().parents[2] / "test-artifacts"
        folder.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)[-120:]
        try:
            page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
        except Exception:  # noqa: BLE001 - a broken page must not hide the real failure
            pass
