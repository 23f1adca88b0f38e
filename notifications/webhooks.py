"""Twilio's callbacks about our outgoing messages: delivery status, SMS replies, the reconfirmation key.

Every request is checked with RequestValidator against HOTLINE_PUBLIC_URL (the
URL Twilio signed, whatever proxy is in front of us); a forgery gets 403.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, request
from sqlalchemy.exc import SQLAlchemyError
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from services import db, twilio_auth
from shared_db.messages import outbox, reconfirmation
from shared_db.models import Notification
from shared_db.people import mask_phone

log = logging.getLogger(__name__)
bp = Blueprint("notifications", __name__, url_prefix="/notifications")

YES_WORDS = {"ja", "j", "yes", "y", "evet", "e", "1", "ok", "okay"}
THANKS = {"de": "Danke! Ihr Impftermin ist bestätigt.", "en": "Thank you! Your appointment is confirmed.",
          "tr": "Teşekkürler! Randevunuz onaylandı."}
NOT_FOUND = {"de": "Wir haben keinen Termin gefunden, der bestätigt werden muss. Fragen? Tel. 116117.",
             "en": "We found no appointment waiting for confirmation. Questions? Call 116117.",
             "tr": "Onay bekleyen bir randevu bulunamadı. Sorularınız için: 116117."}
NO_KEY = {"de": "Wir haben keine Eingabe erhalten. Ihr Termin ist noch nicht bestätigt. Auf Wiederhören.",
          "en": "We did not receive a key press. Your appointment is not confirmed yet. Goodbye.",
          "tr": "Bir tuşlama almadık. Randevunuz henüz onaylanmadı. Hoşça kalın."}
VOICE_LANGUAGES = {"de": "de-DE", "en": "en-GB", "tr": "tr-TR"}


def _notification_id() -> int:
    raw = request.args.get("n", "")
    if not raw.isdigit():
        abort(Response("missing or bad notification id", status=400, mimetype="text/plain"))
    return int(raw)


@bp.before_request
def verify_signature():
    """Answer 403 unless Twilio signed the request (services.twilio_auth, fail closed)."""
    return twilio_auth.refusal()


@bp.post("/status")
def status():
    """Record what Twilio says became of a message or call (sent, delivered, failed, busy ...)."""
    notification_id = _notification_id()
    sid = request.form.get("MessageSid") or request.form.get("CallSid")
    state = (request.form.get("MessageStatus") or request.form.get("CallStatus") or "").lower()
    if not sid or not state:
        return Response("MessageSid/CallSid and a status are required", status=400, mimetype="text/plain")
    session = db.session()
    with session.begin():
        result = outbox.record_status(session, notification_id, sid, state, request.form.get("ErrorCode"))
    if result == "failed":
        log.warning("notification %s could not be delivered (%s)", notification_id, state)
    return Response(status=204)


@bp.post("/reply")
def reply():
    """An SMS answer to a reconfirmation request (Twilio number's messaging webhook)."""
    number, words = request.form.get("From", ""), request.form.get("Body", "").strip().lower()
    session = db.session()
    with session.begin():
        booking = reconfirmation.pending_for_number(session, number)
        language = (booking.person.language if booking is not None and booking.person else None) or "de"
        first_word = words.split()[0].strip(".!") if words else ""
        confirmed = booking is not None and first_word in YES_WORDS
        if confirmed:
            reconfirmation.reconfirm(session, booking.id, actor=f"sms:{mask_phone(number)}")
    answer = MessagingResponse()
    answer.message(THANKS.get(language, THANKS["de"]) if confirmed else NOT_FOUND.get(language, NOT_FOUND["de"]))
    return Response(str(answer), mimetype="text/xml")


@bp.post("/keypress")
def keypress():
    """The key pressed on a reconfirmation call: 1 confirms."""
    notification_id = _notification_id()
    session = db.session()
    with session.begin():
        row = session.get(Notification, notification_id)
        language = row.language if row is not None and row.language in VOICE_LANGUAGES else "de"
        done = (request.form.get("Digits") == "1" and row is not None and row.booking_id is not None
                and reconfirmation.reconfirm(session, row.booking_id, actor=f"call:{request.form.get('CallSid', '')}"))
    response = VoiceResponse()
    response.say(THANKS[language] if done else NO_KEY[language], language=VOICE_LANGUAGES[language])
    response.hangup()
    return Response(str(response), mimetype="text/xml")


@bp.errorhandler(SQLAlchemyError)
def database_away(exc):
    """Never a 500 to Twilio: the database is away, Twilio may try again."""
    log.warning("notification callback failed: %s", exc.__class__.__name__)
    return Response(status=503, headers={"Retry-After": "30"})

