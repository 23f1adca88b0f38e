"""Thin Twilio voice routes: verify the signature, open one unit of work, call the engine, answer TwiML.

Twilio never gets a 500: any failure inside a step (the database down included)
answers with a short apology in the caller's language and the agent queue,
rendered without touching the database.
"""
from __future__ import annotations

import logging
import traceback
from functools import wraps

from flask import Blueprint, Response, current_app, request

import voice_prompts as vp
from ivr import engine, twiml
from services import db, twilio_auth
from shared_db import calls
from shared_db.policy import Policy
from shared_db.types import utcnow

log = logging.getLogger(__name__)
bp = Blueprint("ivr", __name__, url_prefix="/ivr")
URLS = twiml.Urls(action="/ivr/step")


def _queue_time() -> int | None:
    """Twilio's own count of the seconds the caller waited in the queue."""
    return request.form.get("QueueTime", type=int)


def xml(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/xml")


def language() -> str:
    """The caller's language as carried in our own URLs (usable when the database is not)."""
    lang = request.args.get("l", "")
    return lang if lang in vp.LANGUAGES else vp.DEFAULT_LANGUAGE


@bp.before_request
def verify_signature():
    """Answer 403 unless Twilio signed the request (services.twilio_auth, fail closed)."""
    return twilio_auth.refusal()


def never_fail(view):
    """Turn any exception into the apology TwiML (HTTP 200), so Twilio never hears a 500."""
    @wraps(view)
    def guarded(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the caller must hear something, whatever broke
            # Frames only, never the message: SQL errors carry the parameters, i.e. personal data.
            log.error("IVR step failed (%s) on %s for call %s\n%s", exc.__class__.__name__, request.path,
                      request.form.get("CallSid", "-")[:40], "".join(traceback.format_tb(exc.__traceback__)[-4:]))
            return xml(twiml.apology(language(), URLS).to_xml())
    return guarded


def _policy() -> Policy:
    return current_app.config["POLICY"]


def _form() -> dict:
    return request.form.to_dict()


@bp.post("/voice")
@never_fail
def voice():
    """Incoming call (the Twilio number's Voice URL)."""
    session = db.session()
    with session.begin():
        body = engine.answer_call(session, _form(), _policy(), utcnow())
    return xml(body)


@bp.post("/step")
@never_fail
def step():
    """Every later step: a Gather's answer or a Redirect."""
    session = db.session()
    with session.begin():
        body = engine.step_call(session, _form(), request.args.get("n", type=int), language(), _policy(), utcnow())
    return xml(body)


@bp.post("/status")
@never_fail
def status():
    """Call status callback: when the call is over, release its hold and close its queue entry."""
    if request.form.get("CallStatus") in ("completed", "busy", "failed", "no-answer", "canceled"):
        session = db.session()
        with session.begin():
            engine.call_ended(session, _form(), utcnow())
    return xml(twiml.VoiceResponse().to_xml())


@bp.post("/fallback")
def fallback():
    """Twilio's fallback URL (the primary failed): apologise and queue for an agent, no database."""
    return xml(twiml.apology(language(), URLS).to_xml())


@bp.post("/recording")
@never_fail
def recording():
    """Recording status callback of the spoken name."""
    session = db.session()
    with session.begin():
        engine.keep_recording(session, _form())
    return xml(twiml.VoiceResponse().to_xml())


# --------------------------------------------------------------------------- the agent queue


@bp.post("/wait")
def wait():
    """Enqueue's wait URL: position, an honest estimate from our own statistics, the callback key."""
    lang = language()
    position = request.form.get("QueuePosition", type=int)
    try:
        session = db.session()
        with session.begin():
            estimate = calls.estimate_wait(session, position or 1, utcnow())
    except Exception as exc:  # noqa: BLE001 - without statistics we say we cannot estimate
        log.error("wait estimate failed: %s", exc.__class__.__name__)
        estimate = None
    music = current_app.config.get("IVR_HOLD_MUSIC_URL")
    return xml(twiml.wait_music(lang, position, estimate, f"/ivr/wait-key?l={lang}", music).to_xml())


@bp.post("/wait-key")
@never_fail
def wait_key():
    """A key pressed while waiting: 1 asks for a callback that keeps the caller's place."""
    lang = language()
    if request.form.get("Digits") != "1":
        return xml(twiml.back_to_waiting(URLS, lang).to_xml())
    session = db.session()
    with session.begin():
        number = engine.caller_number(request.form.get("From"))
        if number is None:
            return xml(twiml.spoken(lang, "callback_no_number", hang_up=False).to_xml())
        calls.callback_from_queue(session, request.form.get("CallSid", "")[:40], number, lang, utcnow())
    return xml(twiml.leave().to_xml())


@bp.post("/queue-done")
@never_fail
def queue_done():
    """Enqueue's action: the caller left the queue (answered, asked for a callback, hung up, or an error)."""
    lang, result = language(), request.form.get("QueueResult", "")
    sid = request.form.get("CallSid", "")[:40]
    session = db.session()
    with session.begin():
        if result == "leave":
            return xml(twiml.spoken(lang, "callback_done").to_xml())
        if result == "bridged":
            calls.leave_queue(session, sid, "answered", utcnow(), waited_seconds=_queue_time())
            return xml(twiml.spoken(lang, "goodbye").to_xml())
        if result in ("redirected", "bridging-in-process"):
            # An agent took the call (the console redirects it by REST): answered, no callback.
            calls.leave_queue(session, sid, "answered", utcnow(), waited_seconds=_queue_time())
            return xml(twiml.VoiceResponse().to_xml())
        if result == "hangup":
            calls.leave_queue(session, sid, "abandoned", utcnow())
            return xml(twiml.VoiceResponse().to_xml())
        return xml(_callback_instead(session, sid, lang))


def _callback_instead(session, sid: str, lang: str) -> str:
    """The queue failed (full, error): a callback that keeps the place, never a busy signal."""
    number = engine.caller_number(request.form.get("From"))
    entry = calls.leave_queue(session, sid, "error", utcnow())
    if number is None:
        return twiml.spoken(lang, "callback_no_number").to_xml()
    calls.request_callback(session, number, lang, "queue", place_at=entry.enqueued_at if entry else utcnow())
    return twiml.spoken(lang, "callback_done").to_xml()


@bp.post("/dequeued")
@never_fail
def dequeued():
    """The URL of the agent's <Dial><Queue url=...>: record the answer, tell the caller they are through."""
    session = db.session()
    with session.begin():
        calls.mark_answered(session, request.form.get("CallSid", "")[:40], now=utcnow())
    return xml(twiml.spoken(language(), "connecting", hang_up=False).to_xml())
