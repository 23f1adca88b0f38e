"""Webhook safety: signatures (403, proxy URLs), never a 500, apologies without the database, fuzzed input."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from ivr.simulator import Call, flask_transport
from tests.ivr.support import PUBLIC_URL, TOKEN, new_call

PARAMS = {"CallSid": "CA" + "1" * 32, "From": "+4915112345678", "To": "+4952155555555",
          "AccountSid": "AC" + "0" * 32, "CallStatus": "ringing"}


def _sign(url: str, params: dict, token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


def test_forged_signature_gets_403(client):
    forged = _sign(PUBLIC_URL + "/ivr/voice", PARAMS, token="not-the-token")
    assert client.post("/ivr/voice", data=PARAMS, headers={"X-Twilio-Signature": forged}).status_code == 403
    assert client.post("/ivr/voice", data=PARAMS).status_code == 403  # unsigned
    tampered = dict(PARAMS, From="+4915199999999")
    good = _sign(PUBLIC_URL + "/ivr/voice", PARAMS)
    assert client.post("/ivr/voice", data=tampered, headers={"X-Twilio-Signature": good}).status_code == 403
    for path in ("/ivr/status", "/ivr/fallback", "/ivr/step?n=1&l=de", "/ivr/wait", "/ivr/queue-done"):
        assert client.post(path, data=PARAMS, headers={"X-Twilio-Signature": forged}).status_code == 403


def test_signature_of_the_public_url_validates_behind_a_tls_proxy(client, ivr_world):
    """Twilio signs https://hotline.example.org/...; the app sees http://10.0.0.5:8000/... from the proxy."""
    signature = _sign(PUBLIC_URL + "/ivr/voice", PARAMS)
    response = client.post("/ivr/voice", data=PARAMS, base_url="http://10.0.0.5:8000",
                           headers={"X-Twilio-Signature": signature, "X-Forwarded-Proto": "https"})
    assert response.status_code == 200 and response.mimetype == "text/xml"
    assert ET.fromstring(response.data).find(".//Gather") is not None
    internal = _sign("http://10.0.0.5:8000/ivr/voice", PARAMS)  # what a naive check would compare with
    assert client.post("/ivr/voice", data=PARAMS, base_url="http://10.0.0.5:8000",
                       headers={"X-Twilio-Signature": internal}).status_code == 403


def test_signature_with_explicit_port_and_query_validates(client, ivr_world):
    call = new_call(client)
    call.dial()
    action = call._action()  # /ivr/step?n=1&l=de: the query is part of the signed URL
    params = dict(PARAMS, CallSid=call.call_sid, Digits="1")
    with_port = _sign("https://hotline.example.org:443" + action, params)
    assert client.post(action, data=params, headers={"X-Twilio-Signature": with_port}).status_code == 200


def test_fallback_apologises_and_queues_without_the_database(client):
    call = Call(flask_transport(client), PUBLIC_URL, TOKEN)
    answer = call.request("/ivr/fallback?l=en")
    assert "technical problem" in answer.heard() and answer.find("Enqueue") is not None


def test_database_down_gets_an_apology_and_an_agent_not_a_500(pg_url):
    from hotline import create_app
    from hotline.config import TestConfig

    app = create_app(TestConfig("postgresql+psycopg://postgres@127.0.0.1:1/nowhere"))
    call = Call(flask_transport(app.test_client()), PUBLIC_URL, TOKEN)
    first, later = call.dial(), call.request("/ivr/step?n=3&l=tr", Digits="1")
    assert first.find("Enqueue") is not None and later.find("Enqueue") is not None
    assert "teknik bir sorun" in later.heard()  # the caller's language, carried in our own URL
    wait = call.request("/ivr/wait?l=de", QueuePosition="2")
    assert "Position 2" in wait.heard() and "nicht sicher sagen" in wait.heard()


def test_a_failing_step_apologises_in_the_callers_language(client, ivr_world, monkeypatch):
    from ivr.steps import ACTIONS

    def broken(ctx, arg):
        raise RuntimeError("a bug")

    monkeypatch.setitem(ACTIONS, "start_booking", broken)
    call = new_call(client)
    call.dial(), call.press("2")  # English
    answer = call.press("1")
    assert "technical problem" in answer.heard() and answer.find("Enqueue") is not None


def test_stale_step_number_replays_the_current_answer(client, ivr_world):
    call = new_call(client)
    call.dial()
    first_action = call._action()
    call.press("1")
    current = call.last.heard()
    assert call.request(first_action, Digits="3").heard() == current  # a late copy of step 1 changes nothing


def test_unknown_call_at_a_later_step_starts_at_the_main_menu(client, ivr_world):
    call = new_call(client)
    answer = call.request("/ivr/step?n=7&l=en", Digits="5")
    assert "Main menu" in answer.heard()


junk = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
keys = st.text(alphabet="0123456789*#", max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.one_of(keys, junk, st.none()), st.one_of(junk, st.none())),
                      min_size=1, max_size=12))
def test_fuzzed_digits_and_speech_never_give_a_5xx(client, ivr_world, steps):
    """A random walk through the tree with random keys and speech: always 200 and valid TwiML."""
    call = new_call(client)
    answer = call.dial()
    for digits, speech in steps:
        if answer.gather is None:
            break
        answer = call.request(call._action(), Digits=digits, SpeechResult=speech)
        assert answer.root.tag == "Response"
        assert "technische Störung" not in answer.heard() and "technical problem" not in answer.heard()
    call.hang_up()


@pytest.mark.parametrize("path", ["/ivr/voice", "/ivr/step?n=1&l=de", "/ivr/status", "/ivr/wait-key?l=de"])
def test_odd_but_signed_requests_get_twiml(client, ivr_world, path):
    call = new_call(client)
    answer = call.request(path, Digits="\x00💉" * 50, SpeechResult="<Say>", QueuePosition="abc")
    assert answer.root.tag == "Response"


def test_validation_switched_off_is_explicit_and_warned_about(pg_url, caplog):
    from hotline import create_app
    from hotline.config import TestConfig

    app = create_app(TestConfig(pg_url, TWILIO_VALIDATE_SIGNATURES=False))
    assert "TWILIO_VALIDATE_SIGNATURES is off" in caplog.text
    assert app.test_client().post("/ivr/fallback", data=PARAMS).status_code == 200


def test_interactive_simulator_reads_keys_from_the_terminal(client, ivr_world):
    from ivr.simulator import interactive

    call = new_call(client)
    typed = iter(["1", "say zwei", "", "q"])
    lines: list[str] = []
    interactive(call, lines.append, lambda *a, **k: next(typed))
    text = "\n".join(lines)
    assert "Willkommen" in text and "Hauptmenü" in text and "Buchungscode" in text and "nichts gehört" in text
