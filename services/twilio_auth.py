"""The one Twilio signature check, for every route Twilio calls (IVR, message callbacks, console TwiML).

Twilio signs the URL it was configured with: HOTLINE_PUBLIC_URL + path + query,
whatever TLS proxy is in front of us. The check fails closed: without
TWILIO_AUTH_TOKEN every request is refused with 403 and a log line says why;
a missing or wrong signature is 403 too. Only TWILIO_VALIDATE_SIGNATURES=false
(local experiments; create_app warns) turns it off.
"""
from __future__ import annotations

import logging
from functools import wraps

from flask import Response, current_app, request
from twilio.request_validator import RequestValidator

log = logging.getLogger(__name__)


def signed_url() -> str:
    """The URL Twilio signed: the public base plus path and the raw query string."""
    query = request.query_string.decode("utf-8", "replace")
    return current_app.config["HOTLINE_PUBLIC_URL"].rstrip("/") + request.path + (f"?{query}" if query else "")


def refusal() -> Response | None:
    """None when the request carries Twilio's valid signature, else the 403 answer to send."""
    config = current_app.config
    if not config.get("TWILIO_VALIDATE_SIGNATURES", True):
        return None
    token = config.get("TWILIO_AUTH_TOKEN")
    if not token:
        log.error("TWILIO_AUTH_TOKEN is not set: refusing the Twilio request to %s", request.path)
        return _forbidden()
    signature = request.headers.get("X-Twilio-Signature", "")
    if signature and RequestValidator(token).validate(signed_url(), request.form.to_dict(), signature):
        return None
    log.warning("rejected an unsigned or forged Twilio request to %s", request.path)
    return _forbidden()


def twilio_signed(view):
    """Decorator: the view runs only for requests Twilio signed."""

    @wraps(view)
    def checked(*args, **kwargs):
        return refusal() or view(*args, **kwargs)

    return checked


def _forbidden() -> Response:
    return Response("forbidden", status=403, mimetype="text/plain")
