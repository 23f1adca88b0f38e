"""TwiML the console's REST calls point Twilio at: connect a queued caller, bridge a click-to-call.

Signed by Twilio (X-Twilio-Signature, checked against HOTLINE_PUBLIC_URL), no
login, no CSRF. Twilio never gets a 500: any failure answers with an apology.
"""
from __future__ import annotations

import logging

from flask import Response, current_app
from twilio.twiml.voice_response import VoiceResponse

from agent_console.blueprint import bp
from agent_console.helpers import work
from services.twilio_auth import twilio_signed
from shared_db.models import Booking, CallbackRequest, Person, QueueEntry, User

log = logging.getLogger(__name__)
VOICE = {"language": "de-DE"}
CONNECTING = "Sie werden jetzt mit einer Mitarbeiterin oder einem Mitarbeiter verbunden."
SORRY = "Leider ist ein Fehler aufgetreten. Bitte rufen Sie später noch einmal an."


def _twiml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="application/xml")


def _sorry() -> Response:
    response = VoiceResponse()
    response.say(SORRY, **VOICE)
    response.hangup()
    return _twiml(response)


@bp.route("/twiml/connect/<int:entry_id>", methods=["POST"])
@twilio_signed
def twiml_connect(entry_id: int):
    """The queued caller's new TwiML: dial the agent who took them."""
    try:
        with work() as s:
            entry = s.get(QueueEntry, entry_id)
            agent = s.get(User, entry.agent_id) if entry and entry.agent_id else None
            if agent is None:
                return _sorry()
            response = VoiceResponse()
            response.say(CONNECTING, **VOICE)
            dial = response.dial(caller_id=current_app.config["TWILIO_FROM_NUMBER"], timeout=30)
            if agent.phone:
                dial.number(agent.phone)
            else:
                dial.client(f"agent-{agent.id}")
            return _twiml(response)
    except Exception:  # noqa: BLE001 - Twilio must never get a 500
        log.exception("connect TwiML failed")
        return _sorry()


@bp.route("/twiml/bridge/<kind>/<int:target_id>", methods=["POST"])
@twilio_signed
def twiml_bridge(kind: str, target_id: int):
    """The agent answered a click-to-call: now dial the person."""
    try:
        with work() as s:
            number = _number_for(s, kind, target_id)
            if not number:
                return _sorry()
            response = VoiceResponse()
            response.dial(caller_id=current_app.config["TWILIO_FROM_NUMBER"], timeout=40).number(number)
            return _twiml(response)
    except Exception:  # noqa: BLE001 - Twilio must never get a 500
        log.exception("bridge TwiML failed")
        return _sorry()


def _number_for(s, kind: str, target_id: int) -> str | None:
    if kind == "callback":
        row = s.get(CallbackRequest, target_id)
        return row.phone if row else None
    if kind == "person":
        person = s.get(Person, target_id)
        return person.phone if person else None
    if kind == "booking":
        booking = s.get(Booking, target_id)
        if booking is None:
            return None
        return (booking.person.phone if booking.person else None) or booking.caller_number
    return None

