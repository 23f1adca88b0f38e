"""Routes of the online API: thin, each a validated input, one unit of work, a JSON answer."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from online_api import serialize, waiting
from online_api.auth import ClientRef, current_client, end_user_ip
from online_api.idempotency import Answer, fingerprint, run_once
from online_api.inputs import booking_code, json_body, plausible_birth_date, slot_query
from online_api.openapi import END_USER_IP_HEADER, IDEMPOTENCY_HEADER, MAX_ID, document
from online_api.problems import (
    ApiProblem,
    http_problem,
    invalid,
    ledger_problem,
    response,
)
from online_api.queries import centres_near, offers_between
from online_api.validation import parse_date
from services import db
from shared_db import clock, ledger
from shared_db.errors import LedgerError
from shared_db.ledger import changes
from shared_db.ledger.pairing import offer_for
from shared_db.models import Booking, Centre, Invitation, Slot, Vaccine
from shared_db.people import PersonDetails, is_mobile, normalise_phone, notices
from shared_db.people.eligibility import Assessment, assess, load_rules
from shared_db.people.invitations import facts_for
from shared_db.policy import Policy
from shared_db.types import utcnow

bp = Blueprint("online_api", __name__, url_prefix="/api/v1")
Operation = Callable[[Session, ClientRef], Answer]
bp.register_error_handler(ApiProblem, ledger_problem)
bp.register_error_handler(LedgerError, ledger_problem)
bp.register_error_handler(HTTPException, http_problem)


@bp.before_request
def require_client() -> None:
    """Every route but the document needs a valid, unrevoked API key."""
    if request.endpoint == "online_api.openapi_document":
        return
    if current_client() is None:
        raise ApiProblem("unauthorized", "send a valid API key in the X-API-Key header")
    if request.headers.get(END_USER_IP_HEADER) is not None and end_user_ip() is None:
        raise invalid([{"field": END_USER_IP_HEADER, "message": "an IPv4 or IPv6 address"}])


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI document of this API (no key needed)."""
    return jsonify(document())


# --------------------------------------------------------------------------- reading


@bp.post("/eligibility")
def check_eligibility():
    """Whether the described person may book online today."""
    data = json_body("EligibilityRequest")
    dob = plausible_birth_date(data["date_of_birth"])
    session = db.session()
    with session.begin():
        result, _invitation = assessment_for(session, data, dob, data.get("centre_id"))
        return response(200, serialize.assessment(result))


@bp.post("/opening-notices")
def request_opening_notice():
    """A notice for a person whose group opens later: SMS to a mobile number, or e-mail."""
    data = json_body("OpeningNoticeRequest")
    dob = plausible_birth_date(data["date_of_birth"])
    phone = normalise_phone(data["phone"]) if data.get("phone") else None
    if bool(phone) == bool(data.get("email")):
        raise invalid([{"field": "phone", "message": "give either a mobile number or an e-mail address"}])
    if phone and not is_mobile(phone):
        raise invalid([{"field": "phone", "message": "a mobile number is needed for an SMS"}])
    session = db.session()
    with session.begin():
        result, _invitation = assessment_for(session, data, dob, None)
        if result.eligible:
            raise ApiProblem("invalid_state", "the person can book now")
        if result.opens_on is None:
            raise ApiProblem("not_eligible", "no opening date is known for the person's group", opens_on=None,
                             questions=[])
        notices.ask(session, group=result.group, date_of_birth=dob, channel="sms" if phone else "email",
                    phone=phone, email=data.get("email"), language=data.get("language", "de"))
        return response(201, {"status": "waiting", "priority_group": result.group,
                              "opens_on": result.opens_on.isoformat()})


@bp.get("/centres")
def list_centres():
    """Centres for a postcode: home, neighbouring districts, else the region."""
    postcode = request.args.get("postcode", "")
    if not re.fullmatch(r"[0-9]{5}", postcode):
        raise invalid([{"field": "postcode", "message": "five digits expected"}])
    session = db.session()
    with session.begin():
        found = centres_near(session, postcode, utcnow())
        return response(200, [serialize.centre(c, relation, vs) for c, relation, vs in found])


@bp.get("/centres/<int:centre_id>/slots")
def list_slots(centre_id: int):
    """Online-bookable pairs at a centre in a date range."""
    now = utcnow()
    first_day, last_day, code, limit = slot_query(clock.today(now))
    session = db.session()
    with session.begin():
        centre = session.get(Centre, centre_id) if centre_id <= MAX_ID else None
        if centre is None or not centre.active:
            raise ApiProblem("not_found", "no such centre")
        vaccine_id = None
        if code is not None:
            vaccine_id = session.scalar(select(Vaccine.id).where(Vaccine.code == code.upper()))
            if vaccine_id is None:
                raise invalid([{"field": "vaccine", "message": "unknown vaccine code"}])
        offers = offers_between(session, centre, first_day, last_day, now, vaccine_id, limit)
        return response(200, [serialize.offer(o) for o in offers])


@bp.post("/bookings/lookup")
def lookup_booking():
    """A booking by code and date of birth."""
    data = json_body("LookupRequest")
    code, dob = booking_code(data), parse_date(data["date_of_birth"])
    session = db.session()
    with session.begin():
        return response(200, serialize.booking(ledger.find_by_code(session, code, dob)))


# --------------------------------------------------------------------------- changing


@bp.post("/holds")
def create_hold():
    """Hold a first dose and its second for the online channel (through the waiting room when it is full)."""
    data = json_body("HoldRequest")
    waiting.admit(current_client())

    def operation(session: Session, client: ClientRef) -> Answer:
        """Take the places."""
        now = utcnow()
        first_id, second_id = pair_for(session, data["first_slot_id"], data.get("second_slot_id"), now)
        held = changes.hold_offer(session, first_slot_id=first_id, second_slot_id=second_id, channel="online",
                                  actor=client.actor, now=now, policy=policy())
        return 201, serialize.hold(held)

    return keyed(operation)


@bp.delete("/holds/<int:hold_id>")
def release_hold(hold_id: int):
    """Give a hold back; releasing twice is fine."""
    def operation(session: Session, client: ClientRef) -> Answer:
        """Cancel a live hold; a lapsed or released one needs nothing."""
        held = changes.release_hold(session, own_hold(session, hold_id, client).id, actor=client.actor,
                                    reason="hold released by the portal")
        if held.status not in ("expired", "cancelled"):
            raise ApiProblem("invalid_state", "this hold is already a booking; cancel the booking instead")
        return 204, None

    return keyed(operation)


@bp.post("/holds/<int:hold_id>/confirm")
def confirm_hold(hold_id: int):
    """Book a hold for a person who is eligible for it."""
    data = json_body("ConfirmRequest")
    dob = plausible_birth_date(data["date_of_birth"])
    phone = normalise_phone(data["phone"]) if data.get("phone") else None

    return keyed(lambda session, client: confirm(session, client, hold_id, data, dob, phone))


def confirm(session: Session, client: ClientRef, hold_id: int, data: dict, dob: date, phone: str | None) -> Answer:
    """Check eligibility for the held vaccine and centre, then confirm and announce the booking."""
    held = own_hold(session, hold_id, client)
    if held.status == "confirmed":
        return 201, serialize.booking(held)  # a retry without Idempotency-Key
    result, invitation = assessment_for(session, data, dob, held.first_slot.centre_id)
    require_eligible(result, held.first_slot)
    if held.status == "held" and phone:
        held.caller_number = phone  # the per-number limit counts the person's phone for online bookings
        session.flush()
    details = PersonDetails(name=data["name"], date_of_birth=dob, postcode=data.get("postcode"), phone=phone,
                            language=data.get("language", "de"), priority_group=result.group)
    done = changes.confirm_hold(session, held.id, details=details, actor=client.actor, policy=policy(),
                                verification=result.verification,
                                invitation_id=invitation.id if invitation is not None else None)
    return 201, serialize.booking(done)


@bp.post("/bookings/cancel")
def cancel_booking():
    """Cancel a booking or only its second dose."""
    data = json_body("CancelRequest")
    code, dob = booking_code(data), parse_date(data["date_of_birth"])
    second_only = bool(data.get("second_dose_only", False))

    def operation(session: Session, client: ClientRef) -> Answer:
        """Cancel, and announce it when something changed."""
        found = ledger.find_by_code(session, code, dob)
        done = changes.cancel_booking(session, found.id, actor=client.actor, reason="cancelled via the online portal",
                                      second_dose_only=second_only)
        return 200, serialize.booking(done)

    return keyed(operation)


@bp.post("/bookings/rebook")
def rebook_booking():
    """Move a booking to other slots with the same vaccine."""
    data = json_body("RebookRequest")
    code, dob = booking_code(data), parse_date(data["date_of_birth"])

    def operation(session: Session, client: ClientRef) -> Answer:
        """Take the new places, free the old, announce the move."""
        now = utcnow()
        found = ledger.find_by_code(session, code, dob)
        first_id, second_id = pair_for(session, data["first_slot_id"], data.get("second_slot_id"), now,
                                       vaccine_id=found.first_slot.vaccine_id)
        done = changes.rebook_booking(session, found.id, first_slot_id=first_id, second_slot_id=second_id,
                                      actor=client.actor, channel="online", now=now,
                                      reason="rebooked via the online portal")
        return 200, serialize.booking(done)

    return keyed(operation)


# --------------------------------------------------------------------------- helpers


def keyed(operation: Operation):
    """Run a change in one unit of work, once per Idempotency-Key, and answer (or replay) it."""
    client = current_client()
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is not None and not re.fullmatch(r"[!-~]{1,100}", key):
        raise invalid([{"field": IDEMPOTENCY_HEADER, "message": "1 to 100 printable ASCII characters"}])
    request_hash = fingerprint(request.method, request.path, request.get_json(silent=True))
    session = db.session()
    with session.begin():
        (status, body), replayed = run_once(session, client.id, key, request_hash,
                                            lambda: operation(session, client))
    return response(status, body, {"Idempotent-Replayed": "true"} if replayed else None)


def policy() -> Policy:
    """The deployment's booking policy (hold time, per-number limit, retention)."""
    return current_app.config["POLICY"]


def assessment_for(session: Session, data: dict, dob: date,
                   centre_id: int | None) -> tuple[Assessment, Invitation | None]:
    """Eligibility of the person described by `data` for the online channel today, and their invitation.

    A code must be the person's own (name and birth date as listed): a forwarded one is refused kindly.
    """
    facts, invitation = facts_for(session, date_of_birth=dob, name=data.get("name"), code=data.get("invitation_code"),
                                  claims=data)
    return assess(facts, load_rules(session), clock.today(utcnow()), "online", centre_id), invitation


def require_eligible(result: Assessment, first: Slot) -> None:
    """not_eligible (with the opening date when known) unless the person may get this vaccine here."""
    if not result.eligible:
        reason = ("not_yet" if result.opens_on else "not_eligible") if result.reason == "questions" else result.reason
        detail = {"not_yet": "the person's group cannot book yet", "questions": "the person may not book online",
                  "not_eligible": "the person may not book online"}[reason]
        raise ApiProblem("not_eligible", detail, opens_on=result.opens_on.isoformat() if result.opens_on else None,
                         questions=[])
    if first.vaccine.code not in result.vaccines or (result.centre_ids is not None
                                                    and first.centre_id not in result.centre_ids):
        raise ApiProblem("not_eligible", f"{first.vaccine.name} at this centre is not open to this person",
                         opens_on=None, questions=[])


def pair_for(session: Session, first_id: int, second_id: int | None, now: datetime,
             vaccine_id: int | None = None) -> tuple[int, int | None]:
    """The chosen slots; the earliest fitting second dose when the portal left it out."""
    first = session.get(Slot, first_id)
    if first is None or first.dose != "first":
        raise invalid([{"field": "first_slot_id", "message": "not a first-dose slot"}])
    if vaccine_id is not None and first.vaccine_id != vaccine_id:
        raise invalid([{"field": "first_slot_id", "message": "a rebooking keeps the vaccine"}])
    if not first.centre.active:
        raise ApiProblem("slot_gone", "the centre takes no bookings")
    if second_id is None and first.vaccine.doses == 2:
        second_id = offer_for(session, first.id, "online", now).second.id
    return first.id, second_id


def own_hold(session: Session, hold_id: int, client: ClientRef) -> Booking:
    """A hold this client made, locked; not_found for anyone else's."""
    held = session.get(Booking, hold_id, with_for_update=True) if hold_id <= MAX_ID else None
    if held is None or held.created_by != client.actor or held.channel != "online":
        raise ApiProblem("not_found", "no such hold")
    return held
