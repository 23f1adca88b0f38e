"""Every REST request the notifier makes, checked against Twilio's OpenAPI document by Prism."""
from __future__ import annotations

from datetime import timedelta

import pytest
from twilio.rest import Client

from services.jobs import notifier as notifiers
from shared_db.models import Notification
from shared_db.types import utcnow
from tests.twilio_mock import ACCOUNT_SID

PUBLIC = "https://hotline.example.org"


def _notifier(url: str, account_sid: str = ACCOUNT_SID) -> notifiers.TwilioNotifier:
    return notifiers.TwilioNotifier(account_sid, "test-auth-token", "+4930123456789", PUBLIC, base_url=url)


def _row(channel: str = "sms", kind: str = "confirmation", to: str = "+4915112345678") -> Notification:
    return Notification(id=7, kind=kind, channel=channel, to_number=to, language="de", attempts=1,
                        body="Ihr Impftermin: Di. 06.04.2021, 14:30, Impfzentrum Test. Buchungscode: 123456789.")


def test_sms_request_satisfies_the_contract(prism_url):
    sid = _notifier(prism_url).send(_row(), notifiers.callback_url(7))
    assert sid.startswith("SM") or sid.startswith("MM")


def test_voice_call_request_satisfies_the_contract(prism_url):
    sid = _notifier(prism_url).send(_row("voice", to="+49521123456"), f"{PUBLIC}/notifications/status?n=7")
    assert sid.startswith("CA")


def test_reconfirmation_call_request_satisfies_the_contract(prism_url):
    assert _notifier(prism_url).send(_row("voice", "reconfirm", "+49521123456"), f"{PUBLIC}/x?n=7").startswith("CA")


def test_provider_lookups_satisfy_the_contract(prism_url):
    since = utcnow() - timedelta(minutes=7)
    notifier = _notifier(prism_url)
    notifier.find_sent(_row(), since)  # Prism's examples hold other texts: only the request is the point
    notifier.find_sent(_row("voice", to="+49521123456"), since)


def test_a_request_that_breaks_the_contract_is_rejected(prism_url):
    """The account sid must match ^AC[0-9a-fA-F]{32}$: Prism answers 422, we record a final failure."""
    with pytest.raises(notifiers.FinalSendError, match="422"):
        _notifier(prism_url, account_sid="ACnot-a-valid-sid").send(_row(), f"{PUBLIC}/notifications/status?n=7")


def test_a_body_missing_a_required_field_is_rejected(prism_url):
    """A raw request without `To` (required by CreateMessageRequest) is refused by the contract check."""
    client = Client(ACCOUNT_SID, "test-auth-token")
    response = client.request("POST", f"{prism_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
                              data={"From": "+4930123456789", "Body": "Hallo"})
    assert response.status_code == 422
