"""`GET /` leads to the console and names the API's document; the demo's Twilio stand-in answers the console's
calls in-process, so "take next caller" and click-to-call do something visible instead of failing."""
from __future__ import annotations

from twilio.rest import Client

from services.twilio_standin import StandInHttpClient


def test_the_root_page_leads_to_the_console_and_names_the_api_document(app):
    page = app.test_client().get("/")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and 'href="/console/"' in body and "/api/v1/openapi.json" in body
    assert 'lang="de"' in body


def test_the_stand_in_answers_a_redirect_and_a_click_to_call_as_twilio_would():
    standin = StandInHttpClient()
    client = Client("AC" + "0" * 32, "token", http_client=standin)
    redirected = client.calls("CA" + "1" * 32).update(url="https://example.org/twiml", method="POST")
    created = client.calls.create(to="+4952199900001", from_="+4930123456789", url="https://example.org/b")
    assert redirected.sid == "CA" + "1" * 32 and redirected.status == "in-progress"
    assert created.sid.startswith("CA") and created.to == "+4952199900001" and created.status == "queued"
    assert [r["action"] for r in standin.recent] == ["redirect", "create"]


def test_the_stand_in_knows_only_calls():
    import pytest
    from twilio.base.exceptions import TwilioRestException

    client = Client("AC" + "0" * 32, "token", http_client=StandInHttpClient())
    with pytest.raises(TwilioRestException):
        client.messages.create(to="+4915112345678", from_="+4930123456789", body="x")
