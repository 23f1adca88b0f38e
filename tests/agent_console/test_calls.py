"""The live queue, "take next caller" over Twilio REST, the TwiML it points at, and callbacks."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from twilio.request_validator import RequestValidator

from shared_db.models import AuditEntry, CallbackRequest, QueueEntry, User
from shared_db.session import transaction
from shared_db.types import utcnow
from tests.agent_console.support import post, user_id


def enqueue(pg_sessions, sid: str, seconds_ago: int, number: str = "+4952111111111") -> int:
    with transaction(pg_sessions) as s:
        entry = QueueEntry(call_sid=sid, from_number=number, language="de",
                           enqueued_at=utcnow() - timedelta(seconds=seconds_ago))
        s.add(entry)
        s.flush()
        return entry.id


def signed_post(client, app, path: str, params: dict | None = None, signature: str | None = None):
    url = app.config["HOTLINE_PUBLIC_URL"] + path
    params = params or {"CallSid": "CA" + "1" * 32}
    sig = signature or RequestValidator(app.config["TWILIO_AUTH_TOKEN"]).compute_signature(url, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": sig})


def test_queue_page_lists_waiting_callers_longest_first(agent, pg_sessions):
    enqueue(pg_sessions, "CA" + "a" * 32, 30, "+4952111111111")
    enqueue(pg_sessions, "CA" + "b" * 32, 200, "+4952122222222")
    data = agent.get("/console/queue.json").get_json()
    assert data["count"] == 2 and data["longest"] >= 200
    assert [w["number"] for w in data["waiting"]] == ["+49…22", "+49…11"]  # masked, longest first
    assert [w["position"] for w in data["waiting"]] == [1, 2]
    page = agent.get("/console/queue").get_data(as_text=True)
    assert "Nächsten Anruf annehmen" in page and "3:2" in page


def test_take_next_redirects_the_longest_waiting_call_to_the_agent(agent, console, recording_twilio, pg_sessions):
    enqueue(pg_sessions, "CA" + "a" * 32, 30)
    oldest = enqueue(pg_sessions, "CA" + "b" * 32, 200)
    response = post(agent, "/console/queue/take")
    assert response.status_code == 302
    [request] = recording_twilio.requests
    assert request["operation"] == "UpdateCall"
    assert urlsplit(request["url"]).path.endswith(f"/Calls/CA{'b' * 32}.json")
    assert request["data"]["Url"] == f"https://hotline.example.org/console/twiml/connect/{oldest}"
    assert request["data"]["Method"] == "POST"
    with transaction(pg_sessions) as s:
        entry = s.get(QueueEntry, oldest)
        assert entry.agent_id == user_id(console, "agent") and entry.outcome == "answered" and entry.left_at
        assert s.get(User, user_id(console, "agent")).status == "busy"
    assert agent.get("/console/queue.json").get_json()["count"] == 1


def test_take_next_with_nobody_waiting_calls_nobody(agent, recording_twilio):
    post(agent, "/console/queue/take")
    assert recording_twilio.requests == []


def test_take_next_when_the_caller_hung_up_marks_abandoned(agent, recording_twilio, pg_sessions):
    entry_id = enqueue(pg_sessions, "CA" + "c" * 32, 50)
    recording_twilio.fail_with = (404, {"code": 20404, "message": "not found", "status": 404})
    post(agent, "/console/queue/take")
    with transaction(pg_sessions) as s:
        entry = s.get(QueueEntry, entry_id)
        assert entry.outcome == "abandoned" and entry.left_at is not None


def test_take_next_when_twilio_fails_puts_the_caller_back(agent, recording_twilio, pg_sessions):
    entry_id = enqueue(pg_sessions, "CA" + "d" * 32, 50)
    recording_twilio.fail_with = (500, {"code": 20500, "message": "internal", "status": 500})
    post(agent, "/console/queue/take")
    with transaction(pg_sessions) as s:
        entry = s.get(QueueEntry, entry_id)
        assert entry.agent_id is None and entry.left_at is None


def test_two_agents_taking_next_get_different_callers(agent, console, pg_sessions):
    from tests.agent_console.support import csrf_of, sign_in

    other = console.test_client()
    sign_in(other, "agent2")
    other.token = csrf_of(other, "/console/")
    first = enqueue(pg_sessions, "CA" + "e" * 32, 100)
    second = enqueue(pg_sessions, "CA" + "f" * 32, 50)
    post(agent, "/console/queue/take")
    post(other, "/console/queue/take")
    with transaction(pg_sessions) as s:
        assert s.get(QueueEntry, first).agent_id == user_id(console, "agent")
        assert s.get(QueueEntry, second).agent_id == user_id(console, "agent2")


def test_call_outcome_is_audited(agent, console, pg_sessions):
    entry_id = enqueue(pg_sessions, "CA" + "a" * 32, 30)
    post(agent, "/console/queue/take")
    post(agent, f"/console/queue/{entry_id}/outcome", outcome="booked", note="2 Termine")
    with transaction(pg_sessions) as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "call_outcome"))
        assert entry.actor == f"agent:{user_id(console, 'agent')}" and entry.after == {"outcome": "booked"}
        assert s.get(User, user_id(console, "agent")).status == "ready"


def test_connect_twiml_dials_the_agent(console, agent, pg_sessions):
    entry_id = enqueue(pg_sessions, "CA" + "a" * 32, 30)
    post(agent, "/console/queue/take")
    response = signed_post(console.test_client(), console, f"/console/twiml/connect/{entry_id}")
    assert response.status_code == 200
    root = ET.fromstring(response.data)
    assert root.find("Say").attrib["language"] == "de-DE"
    assert root.find("Dial/Number").text == "+4952112345601"


def test_twiml_with_a_forged_signature_is_403(console, pg_sessions):
    entry_id = enqueue(pg_sessions, "CA" + "a" * 32, 30)
    client = console.test_client()
    assert signed_post(client, console, f"/console/twiml/connect/{entry_id}", signature="forged").status_code == 403
    assert signed_post(client, console, "/console/twiml/bridge/person/1", signature="forged").status_code == 403


def test_twiml_for_an_unknown_entry_apologises_instead_of_failing(console):
    response = signed_post(console.test_client(), console, "/console/twiml/connect/999999")
    assert response.status_code == 200
    root = ET.fromstring(response.data)
    assert root.find("Say") is not None and root.find("Hangup") is not None


# --------------------------------------------------------------------------- callbacks


def callback(pg_sessions, phone: str, minutes_ago: int, **extra) -> int:
    with transaction(pg_sessions) as s:
        row = CallbackRequest(phone=phone, place_at=utcnow() - timedelta(minutes=minutes_ago), **extra)
        s.add(row)
        s.flush()
        return row.id


def test_callbacks_are_listed_first_come_by_place_in_line(agent, pg_sessions):
    late = callback(pg_sessions, "+4952100000001", 5)
    early = callback(pg_sessions, "+4952100000002", 50)
    page = agent.get("/console/callbacks").get_data(as_text=True)
    assert page.index(f'id="cb-{early}"') < page.index(f'id="cb-{late}"')
    post(agent, "/console/callbacks/next")
    with transaction(pg_sessions) as s:
        assert s.get(CallbackRequest, early).status == "claimed"
        assert s.get(CallbackRequest, late).status == "pending"


def test_one_agent_per_callback_until_the_claim_lapses(agent, console, pg_sessions):
    from tests.agent_console.support import csrf_of, sign_in

    row_id = callback(pg_sessions, "+4952100000003", 10)
    other = console.test_client()
    sign_in(other, "agent2")
    other.token = csrf_of(other, "/console/")
    post(agent, f"/console/callbacks/{row_id}/claim")
    post(other, f"/console/callbacks/{row_id}/claim")
    with transaction(pg_sessions) as s:
        row = s.get(CallbackRequest, row_id)
        assert row.claimed_by == user_id(console, "agent")
        assert timedelta(minutes=9) < row.claim_expires_at - utcnow() <= timedelta(minutes=10)
        row.claim_expires_at = utcnow() - timedelta(seconds=1)  # ten minutes later
    post(other, f"/console/callbacks/{row_id}/claim")
    with transaction(pg_sessions) as s:
        assert s.get(CallbackRequest, row_id).claimed_by == user_id(console, "agent2")
    post(agent, f"/console/callbacks/{row_id}/outcome", outcome="booked")  # the lapsed claim cannot finish it
    with transaction(pg_sessions) as s:
        assert s.get(CallbackRequest, row_id).status == "claimed"


def test_no_answer_retries_later_and_gives_up_after_n_tries(agent, pg_sessions):
    row_id = callback(pg_sessions, "+4952100000004", 10)
    for attempt in range(1, 4):
        post(agent, f"/console/callbacks/{row_id}/claim")
        post(agent, f"/console/callbacks/{row_id}/outcome", outcome="no_answer")
        with transaction(pg_sessions) as s:
            row = s.get(CallbackRequest, row_id)
            assert row.attempts == attempt
            if attempt < 3:
                assert row.status == "pending" and row.not_before > utcnow()
                row.not_before = utcnow() - timedelta(seconds=1)  # the retry pause is over
    with transaction(pg_sessions) as s:
        assert s.get(CallbackRequest, row_id).status == "given_up"


def test_callback_not_due_yet_cannot_be_claimed(agent, pg_sessions):
    row_id = callback(pg_sessions, "+4952100000005", 10, not_before=utcnow() + timedelta(minutes=20))
    post(agent, f"/console/callbacks/{row_id}/claim")
    with transaction(pg_sessions) as s:
        assert s.get(CallbackRequest, row_id).status == "pending"


def test_click_to_call_rings_the_agent_then_bridges(agent, console, recording_twilio, pg_sessions):
    row_id = callback(pg_sessions, "+4952100000006", 10)
    post(agent, f"/console/callbacks/{row_id}/claim")
    post(agent, f"/console/callbacks/{row_id}/call")
    [request] = recording_twilio.requests
    assert request["operation"] == "CreateCall"
    assert request["data"]["To"] == "+4952112345601" and request["data"]["From"] == console.config["TWILIO_FROM_NUMBER"]
    path = urlsplit(request["data"]["Url"]).path
    root = ET.fromstring(signed_post(console.test_client(), console, path).data)
    assert root.find("Dial/Number").text == "+4952100000006"


def test_click_to_call_without_agent_phone_shows_the_number_instead(console, pg_sessions, recording_twilio):
    from tests.agent_console.support import csrf_of, sign_in

    row_id = callback(pg_sessions, "+4952100000007", 10)
    other = console.test_client()
    sign_in(other, "agent2")
    other.token = csrf_of(other, "/console/")
    post(other, f"/console/callbacks/{row_id}/claim")
    page = other.get("/console/callbacks").get_data(as_text=True)
    assert "+4952100000007" in page  # the claimed number is shown in full, ready to dial
    post(other, f"/console/callbacks/{row_id}/call")
    assert recording_twilio.requests == []
