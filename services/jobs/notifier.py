"""Notifier backends: Twilio (SMS to mobiles, a voice call to landlines) or the log (demo, dev).

Twilio has no idempotency key. To stay at most once we store the provider's id
as soon as it is returned, pass the outbox id in the status-callback URL (so a
callback can tell us about a message whose worker died), and before resending a
crashed claim we ask Twilio whether the message is already there (`find_sent`).
"""
from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from services import runtime
from shared_db.models import Notification
from shared_db.people import mask_phone

log = logging.getLogger(__name__)

VOICE_LANGUAGES = {"de": "de-DE", "en": "en-GB", "tr": "tr-TR"}
REPROMPT = {"de": "Ich wiederhole.", "en": "I repeat.", "tr": "Tekrar ediyorum."}
PRESS_ONE = {"de": "Um Ihren Termin zu bestätigen, drücken Sie bitte die 1.",
             "en": "To confirm your appointment, please press 1.",
             "tr": "Randevunuzu onaylamak için lütfen 1'e basın."}


class TransientSendError(Exception):
    """Try again later: the provider is down, overloaded (429) or not reachable."""


class FinalSendError(Exception):
    """Never retry: the provider refused this message (bad number and the like)."""


class Notifier(Protocol):
    def send(self, row: Notification, callback_url: str) -> str: ...

    def find_sent(self, row: Notification, since: datetime) -> str | None: ...


@dataclass
class LogNotifier:
    """NOTIFY_BACKEND=log: prints the message with a masked number instead of sending it."""

    def send(self, row: Notification, callback_url: str) -> str:
        log.warning("[%s to %s, %s] %s", row.channel, mask_phone(row.to_number), row.kind, row.body)
        return f"LOG{row.id:010d}"

    def find_sent(self, row: Notification, since: datetime) -> str | None:
        return None  # nothing leaves the process, so a crashed claim is simply printed again


class TwilioNotifier:
    """Sends through twilio.rest.Client; errors are sorted into transient and final."""

    def __init__(self, account_sid: str, auth_token: str, from_number: str, public_url: str,
                 base_url: str | None = None, timeout: float = 15.0) -> None:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        self.client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
        if base_url:  # a mock of Twilio's REST API (tests, Prism)
            self.client.api.base_url = base_url.rstrip("/")
        self.from_number = from_number
        self.public_url = public_url.rstrip("/")

    def send(self, row: Notification, callback_url: str) -> str:
        """Create the SMS or the call; returns Twilio's sid."""
        with _sorted_errors():
            if row.channel == "sms":
                return self.client.messages.create(to=row.to_number, from_=self.from_number, body=row.body,
                                                   status_callback=callback_url).sid
            return self.client.calls.create(to=row.to_number, from_=self.from_number, twiml=str(self.twiml(row)),
                                            status_callback=callback_url).sid

    def twiml(self, row: Notification):
        """The words of a voice notification, said twice, slowly; reconfirmation asks for a key."""
        from twilio.twiml.voice_response import VoiceResponse

        language = row.language if row.language in VOICE_LANGUAGES else "de"
        spoken = spell_digits(row.body)
        response = VoiceResponse()
        if row.kind == "reconfirm":
            gather = response.gather(num_digits=1, timeout=8,
                                     action=f"{self.public_url}/notifications/keypress?n={row.id}")
            for text in (spoken, PRESS_ONE[language], REPROMPT[language], spoken, PRESS_ONE[language]):
                gather.say(text, language=VOICE_LANGUAGES[language])
            return response
        for text in (spoken, REPROMPT[language], spoken):
            response.say(text, language=VOICE_LANGUAGES[language])
            response.pause(length=1)
        return response

    def find_sent(self, row: Notification, since: datetime) -> str | None:
        """Twilio's sid of this row's message if Twilio already has it (a crash after acceptance)."""
        with _sorted_errors():
            if row.channel == "sms":
                page = self.client.messages.page(to=row.to_number, from_=self.from_number,
                                                 date_sent_after=since, page_size=50)
                return next((m.sid for m in page if m.body == row.body), None)
            # One page is plenty for one number in a few minutes, and no next-page link is followed.
            calls = list(self.client.calls.page(to=row.to_number, from_=self.from_number,
                                                start_time_after=since, page_size=50))
            return calls[0].sid if calls else None


def spell_digits(text: str) -> str:
    """Booking codes are read digit by digit on the phone: '12345678' -> '1 2 3 4 5 6 7 8'."""
    return re.sub(r"\d{5,}", lambda m: " ".join(m.group(0)), text)


def scrub(text: str) -> str:
    """Provider errors quote the number ("The 'To' number +49151... is not valid"): mask it for logs."""
    return re.sub(r"\+?\d[\d ]{6,}\d", lambda m: mask_phone(m.group(0).replace(" ", "")), text)


class _sorted_errors:
    """Turn Twilio and network errors into TransientSendError or FinalSendError."""

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is None or isinstance(exc, (TransientSendError, FinalSendError)):
            return False
        from twilio.base.exceptions import TwilioRestException

        if isinstance(exc, TwilioRestException):
            status = exc.status or 0
            detail = scrub(f"twilio {status} code {exc.code}: {exc.msg}")[:300]
            if status == 429 or status >= 500 or status in (401, 403):
                raise TransientSendError(detail) from exc
            raise FinalSendError(detail) from exc
        raise TransientSendError(scrub(f"{exc.__class__.__name__}: {exc}")[:300]) from exc


_state: dict[str, Any] = {"notifier": None, "generation": None, "mailer": None, "mailer_generation": None}


def current() -> Notifier:
    """The configured backend, built once per process (again after the services are configured anew)."""
    if _state["notifier"] is None or _state["generation"] != runtime.generation():
        _state["notifier"], _state["generation"] = _build(runtime.settings()), runtime.generation()
    return _state["notifier"]


def use(notifier: Notifier) -> None:
    """Put a notifier in place until the services are configured again (tests, fakes)."""
    _state["notifier"], _state["generation"] = notifier, runtime.generation()


def for_row(row: Notification) -> Notifier:
    """The backend for one outbox row: e-mail goes to the mailer, SMS and calls to Twilio (or the log)."""
    return mailer() if row.channel == "email" else current()


def mailer() -> Notifier:
    """The SMTP mailer when SMTP_HOST is set, else the log; built once per configuration."""
    if _state["mailer"] is None or _state["mailer_generation"] != runtime.generation():
        _state["mailer"], _state["mailer_generation"] = _build_mailer(runtime.settings()), runtime.generation()
    return _state["mailer"]


def use_mailer(notifier: Notifier) -> None:
    """Put a mailer in place until the services are configured again (tests)."""
    _state["mailer"], _state["mailer_generation"] = notifier, runtime.generation()


def _build_mailer(s: Mapping[str, Any]) -> Notifier:
    if not s.get("SMTP_HOST"):
        return LogNotifier()
    from services.jobs.mailer import SmtpMailer

    return SmtpMailer(s["SMTP_HOST"], int(s.get("SMTP_PORT") or 587), s.get("SMTP_FROM") or "hotline@localhost",
                      s.get("SMTP_USER"), s.get("SMTP_PASSWORD"), bool(s.get("SMTP_STARTTLS", True)),
                      float(s.get("SMTP_TIMEOUT_SECONDS") or 15))


def _build(s: Mapping[str, Any]) -> Notifier:
    if (s.get("NOTIFY_BACKEND") or "twilio") == "log":
        return LogNotifier()
    return TwilioNotifier(s["TWILIO_ACCOUNT_SID"], s["TWILIO_AUTH_TOKEN"], s["TWILIO_FROM_NUMBER"],
                          s["HOTLINE_PUBLIC_URL"], base_url=s.get("TWILIO_API_BASE_URL"),
                          timeout=float(s.get("TWILIO_TIMEOUT_SECONDS") or 15))


def callback_url(notification_id: int) -> str:
    """Where Twilio reports this message's fate; the id lets a callback adopt a crashed send."""
    return f"{runtime.setting('HOTLINE_PUBLIC_URL').rstrip('/')}/notifications/status?n={notification_id}"
