"""Outgoing Twilio REST requests of the console: redirect a queued call, click-to-call.

Only through twilio.rest.Client. Tests hand in their own HTTP client (app
config TWILIO_HTTP_CLIENT) and check each request against Twilio's OpenAPI
document; TWILIO_API_BASE_URL points at a mock such as Prism.
"""
from __future__ import annotations

import logging

from flask import current_app, url_for
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from shared_db.people import mask_phone

log = logging.getLogger(__name__)


class CallFailed(Exception):
    """Twilio refused or could not be reached; `gone` when the call no longer exists."""

    def __init__(self, message: str, gone: bool = False) -> None:
        super().__init__(message)
        self.gone = gone


def client() -> Client:
    """A Twilio REST client from the app's settings."""
    cfg = current_app.config
    rest = Client(cfg["TWILIO_ACCOUNT_SID"], cfg["TWILIO_AUTH_TOKEN"], http_client=cfg.get("TWILIO_HTTP_CLIENT"))
    if cfg.get("TWILIO_API_BASE_URL"):
        rest.api.base_url = cfg["TWILIO_API_BASE_URL"].rstrip("/")
    return rest


def public_url(endpoint: str, **values) -> str:
    """The URL Twilio should fetch, on the public host name (signatures are checked against it)."""
    return current_app.config["HOTLINE_PUBLIC_URL"] + url_for(endpoint, **values)


def redirect_call(call_sid: str, endpoint: str, **values) -> None:
    """Send a live call (a caller waiting in the queue) to new TwiML, e.g. a <Dial> to the agent."""
    try:
        client().calls(call_sid).update(url=public_url(endpoint, **values), method="POST")
    except TwilioRestException as exc:
        log.warning("redirect of %s failed: %s %s", call_sid, exc.status, exc.code)
        raise CallFailed(str(exc.msg), gone=exc.status == 404 or exc.code in (20404, 21220)) from exc
    except (TwilioException, OSError) as exc:
        log.warning("redirect of %s failed: %s", call_sid, exc.__class__.__name__)
        raise CallFailed(str(exc)) from exc


def ring_agent(agent_phone: str, endpoint: str, **values) -> str:
    """Click-to-call: ring the agent's phone; when they answer, the TwiML at `endpoint` dials the person."""
    try:
        call = client().calls.create(to=agent_phone, from_=current_app.config["TWILIO_FROM_NUMBER"],
                                     url=public_url(endpoint, **values), method="POST")
    except TwilioRestException as exc:
        log.warning("click-to-call to %s failed: %s %s", mask_phone(agent_phone), exc.status, exc.code)
        raise CallFailed(str(exc.msg)) from exc
    except (TwilioException, OSError) as exc:
        log.warning("click-to-call to %s failed: %s", mask_phone(agent_phone), exc.__class__.__name__)
        raise CallFailed(str(exc)) from exc
    return call.sid
