"""The OpenAPI 3.1 document of the online API, kept beside the routes (a test checks they match).

Request bodies are validated against the schemas here (online_api.validation),
so the document and the server cannot disagree about what is valid input.
"""
from __future__ import annotations

from typing import Any

API_KEY_HEADER = "X-API-Key"
END_USER_IP_HEADER = "X-End-User-IP"
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_ID = 2_147_483_647
PROBLEM_CODES = ("invalid_input", "not_eligible", "slot_gone", "hold_expired", "already_booked", "number_limit",
                 "needs_agent", "not_found", "invalid_state", "unauthorized", "rate_limited",
                 "idempotency_key_reused", "method_not_allowed", "waiting_room", "invitation_invalid",
                 "invitation_not_yours", "invitation_used")
# No control characters: they have no place in a name and PostgreSQL refuses NUL.
TEXT = r"^[^\u0000-\u001f\u007f]*$"
DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
_DATE = {"type": "string", "format": "date", "pattern": DATE}
_CODE = {"type": "string", "pattern": r"^[0-9 .\-]{9,15}$",
         "description": "9-digit booking code; spaces, dots and dashes are ignored"}
_FACTS = {
    "care_home": {"type": "boolean", "description": "lives or works in a care home"},
    "occupation": {"type": "boolean", "description": "works in a prioritised occupation"},
    "condition": {"type": "boolean", "description": "has a prioritising health condition"},
    "invitation_code": {"type": "string", "pattern": r"^[0-9 \-]{8,12}$",
                        "description": "the person's own 8-digit invitation code; bound to their name and birth date"},
}

SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object", "required": ["type", "title", "status", "code", "detail"],
        "properties": {
            "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
            "code": {"type": "string", "enum": list(PROBLEM_CODES)}, "detail": {"type": "string"},
            "errors": {"type": "array", "items": {
                "type": "object", "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}},
            "opens_on": _nullable(_DATE), "questions": {"type": "array", "items": {"type": "string"}},
            "limit": {"type": "integer"}, "retry_after": {"type": "integer"},
            "ticket": {"type": "string", "description": "waiting_room: send it back as Waiting-Room-Ticket"},
            "position": {"type": "integer", "minimum": 1, "description": "waiting_room: your place in the line"},
            "estimated_wait_seconds": {"type": "integer", "minimum": 1,
                                       "description": "waiting_room: at the rate bookings are let in now"},
            "message": {"type": "string", "description": "what to show the person (German), for invitation refusals"},
        },
    },
    "EligibilityRequest": {
        "type": "object", "required": ["date_of_birth"], "additionalProperties": False,
        "properties": {"date_of_birth": _DATE, "centre_id": _ID,
                       "name": {"type": "string", "minLength": 1, "maxLength": 160, "pattern": TEXT}, **_FACTS},
    },
    "Eligibility": {
        "type": "object", "required": ["eligible", "reason", "priority_group", "vaccines", "opens_on", "questions",
                                       "centre_ids"],
        "properties": {
            "eligible": {"type": "boolean"},
            "reason": {"type": "string", "enum": ["eligible", "not_yet", "not_eligible"]},
            "priority_group": _nullable({"type": "integer"}),
            "vaccines": {"type": "array", "items": {"type": "string"}},
            "opens_on": _nullable(_DATE),
            "questions": {"type": "array", "maxItems": 0, "items": {"type": "string"},
                          "description": "always empty: the API never lists the answers that would admit"},
            "centre_ids": _nullable({"type": "array", "items": {"type": "integer"}}),
            "verification": _nullable({"type": "string", "enum": ["verified", "to_verify"]}),
        },
    },
    "Vaccine": {
        "type": "object", "required": ["code", "name", "doses"],
        "properties": {"code": {"type": "string"}, "name": {"type": "string"},
                       "doses": {"type": "integer", "enum": [1, 2]},
                       "interval_min_days": _nullable({"type": "integer"}),
                       "interval_max_days": _nullable({"type": "integer"})},
    },
    "Centre": {
        "type": "object", "required": ["id", "name", "address", "city", "district", "relation", "vaccines"],
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "address": {"type": "string"},
                       "city": {"type": "string"}, "district": {"type": "string"},
                       "relation": {"type": "string", "enum": ["home", "neighbour", "region"],
                                    "description": "serves the postcode, a neighbouring district, or same region"},
                       "vaccines": {"type": "array", "items": _ref("Vaccine")}},
    },
    "Slot": {
        "type": "object", "required": ["slot_id", "starts_at", "duration_minutes", "dose"],
        "properties": {"slot_id": {"type": "integer"}, "starts_at": {"type": "string", "format": "date-time"},
                       "duration_minutes": {"type": "integer"},
                       "dose": {"type": "string", "enum": ["first", "second"]}},
    },
    "Offer": {
        "type": "object", "required": ["centre_id", "vaccine", "first", "second"],
        "properties": {"centre_id": {"type": "integer"}, "vaccine": {"type": "string"},
                       "first": _ref("Slot"), "second": _nullable(_ref("Slot"))},
    },
    "HoldRequest": {
        "type": "object", "required": ["first_slot_id"], "additionalProperties": False,
        "properties": {"first_slot_id": _ID, "second_slot_id": _nullable(_ID)},
    },
    "Hold": {
        "type": "object", "required": ["hold_id", "expires_at", "centre_id", "vaccine", "first", "second"],
        "properties": {"hold_id": {"type": "integer"}, "expires_at": {"type": "string", "format": "date-time"},
                       "centre_id": {"type": "integer"}, "vaccine": {"type": "string"},
                       "first": _ref("Slot"), "second": _nullable(_ref("Slot"))},
    },
    "ConfirmRequest": {
        "type": "object", "required": ["name", "date_of_birth"], "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 160, "pattern": TEXT},
            "date_of_birth": _DATE,
            "postcode": {"type": "string", "pattern": r"^[0-9]{5}$"},
            "phone": {"type": "string", "minLength": 3, "maxLength": 30, "pattern": r"^[0-9+() /\-]+$"},
            "language": {"type": "string", "enum": ["de", "en", "tr"]},
            **_FACTS,
        },
    },
    "Booking": {
        "type": "object", "required": ["booking_code", "status", "channel", "centre", "vaccine", "first", "second"],
        "properties": {
            "booking_code": {"type": "string"},
            "status": {"type": "string", "enum": ["confirmed", "cancelled", "completed", "no_show"]},
            "channel": {"type": "string", "enum": ["phone", "online", "agent"]},
            "centre": {"type": "object", "required": ["id", "name", "address"],
                       "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                      "address": {"type": "string"}}},
            "vaccine": _ref("Vaccine"), "first": _ref("Slot"), "second": _nullable(_ref("Slot")),
        },
    },
    "OpeningNoticeRequest": {
        "type": "object", "required": ["date_of_birth"], "additionalProperties": False,
        "description": "tell the person when their group opens: by SMS to `phone` or by e-mail to `email`",
        "properties": {
            "date_of_birth": _DATE,
            "name": {"type": "string", "minLength": 1, "maxLength": 160, "pattern": TEXT},
            "phone": {"type": "string", "minLength": 3, "maxLength": 30, "pattern": r"^[0-9+() /\-]+$"},
            "email": {"type": "string", "minLength": 3, "maxLength": 254, "pattern": r"^[^@\s,;<>]+@[^@\s,;<>]+$"},
            "language": {"type": "string", "enum": ["de", "en", "tr"]},
            **_FACTS,
        },
    },
    "OpeningNotice": {
        "type": "object", "required": ["status", "priority_group", "opens_on"],
        "properties": {"status": {"type": "string", "enum": ["waiting"]},
                       "priority_group": {"type": "integer"},
                       "opens_on": {**_DATE, "description": "as the rules stand today; the notice follows changes"}},
    },
    "LookupRequest": {
        "type": "object", "required": ["booking_code", "date_of_birth"], "additionalProperties": False,
        "properties": {"booking_code": _CODE, "date_of_birth": _DATE},
    },
    "CancelRequest": {
        "type": "object", "required": ["booking_code", "date_of_birth"], "additionalProperties": False,
        "properties": {"booking_code": _CODE, "date_of_birth": _DATE,
                       "second_dose_only": {"type": "boolean", "default": False}},
    },
    "RebookRequest": {
        "type": "object", "required": ["booking_code", "date_of_birth", "first_slot_id"],
        "additionalProperties": False,
        "properties": {"booking_code": _CODE, "date_of_birth": _DATE, "first_slot_id": _ID,
                       "second_slot_id": _nullable(_ID)},
    },
}

_PARAMETERS = {
    "EndUserIp": {"name": END_USER_IP_HEADER, "in": "header", "required": False,
                  "description": "IP address of the portal's end user, for the per-user rate limit",
                  "schema": {"type": "string", "maxLength": 45, "pattern": r"^[0-9A-Fa-f.:]{2,45}$"}},
    "WaitingRoomTicket": {"name": "Waiting-Room-Ticket", "in": "header", "required": False,
                          "description": "the ticket a 429 waiting_room answer gave: retrying with it keeps "
                                         "the place in line (without it, the attempt queues at the back)",
                          "schema": {"type": "string", "maxLength": 120, "pattern": r"^[0-9a-f.]+$"}},
    "IdempotencyKey": {"name": IDEMPOTENCY_HEADER, "in": "header", "required": False,
                       "description": "a retry with the same key and body gets the first answer again",
                       "schema": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": r"^[!-~]+$"}},
}

_STATUS_TEXT = {401: "no valid API key", 403: "not eligible", 404: "not found", 405: "method not allowed",
                409: "conflict", 410: "hold expired", 422: "invalid input", 429: "rate limited"}


def _problem(status: int) -> dict:
    return {"description": _STATUS_TEXT[status],
            "content": {"application/problem+json": {"schema": _ref("Problem")}}}


def _operation(op_id: str, summary: str, ok: int, ok_schema: dict | None, errors: tuple[int, ...],
               body: str | None = None, params: tuple = (), idempotent: bool = False) -> dict:
    parameters = [{"$ref": "#/components/parameters/EndUserIp"}, *params]
    if idempotent:
        parameters.append({"$ref": "#/components/parameters/IdempotencyKey"})
    ok_response = {"description": "success"}
    if ok_schema is not None:
        ok_response["content"] = {"application/json": {"schema": ok_schema}}
    # 422 everywhere: the end-user IP header is checked on every operation.
    responses = {str(ok): ok_response, **{str(s): _problem(s) for s in sorted({401, 422, 429, *errors})}}
    operation = {"operationId": op_id, "summary": summary, "parameters": parameters, "responses": responses}
    if body:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(body)}}}
    return operation


def _path_id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": _ID}


_DATE_QUERY = {"type": "string", "format": "date", "pattern": DATE}
PATHS: dict[str, Any] = {
    "/api/v1/openapi.json": {"get": {
        "operationId": "openapi", "summary": "This document", "security": [],
        "responses": {"200": {"description": "the OpenAPI document",
                              "content": {"application/json": {"schema": {"type": "object"}}}}}}},
    "/api/v1/eligibility": {"post": _operation(
        "checkEligibility", "Whether a person may book online now, with which vaccines, or from when",
        200, _ref("Eligibility"), (403, 409, 422), body="EligibilityRequest")},
    "/api/v1/opening-notices": {"post": _operation(
        "requestOpeningNotice", "Tell the person (SMS or e-mail) when their group opens; follows the rule's date",
        201, _ref("OpeningNotice"), (403, 409, 422), body="OpeningNoticeRequest")},
    "/api/v1/centres": {"get": _operation(
        "listCentres", "Centres serving a postcode, then those of neighbouring districts", 200,
        {"type": "array", "items": _ref("Centre")}, (422,),
        params=({"name": "postcode", "in": "query", "required": True,
                 "schema": {"type": "string", "pattern": r"^[0-9]{5}$"}},))},
    "/api/v1/centres/{centre_id}/slots": {"get": _operation(
        "listSlots", "Bookable first-dose slots with their second dose (online pool and released phone places)",
        200, {"type": "array", "items": _ref("Offer")}, (404, 422),
        params=(_path_id("centre_id"),
                {"name": "from", "in": "query", "required": False, "schema": _DATE_QUERY,
                 "description": "first local day (default today)"},
                {"name": "to", "in": "query", "required": False, "schema": _DATE_QUERY,
                 "description": "last local day, at most 62 days after `from` (default: 14 days)"},
                {"name": "vaccine", "in": "query", "required": False,
                 "schema": {"type": "string", "pattern": r"^[A-Za-z0-9]{1,20}$"}},
                {"name": "limit", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": 50, "default": 20}}))},
    "/api/v1/holds": {"post": _operation(
        "createHold", "Hold a first-dose slot and its second dose; the hold lapses after a few minutes. "
        "When many book at once, 429 `waiting_room` answers with a ticket, its place in line and an estimate "
        "(and Retry-After); send the ticket back as Waiting-Room-Ticket to keep the place",
        201, _ref("Hold"), (409, 422), body="HoldRequest", idempotent=True,
        params=({"$ref": "#/components/parameters/WaitingRoomTicket"},))},
    "/api/v1/holds/{hold_id}": {"delete": _operation(
        "releaseHold", "Give a hold back before it lapses", 204, None, (404, 409), params=(_path_id("hold_id"),),
        idempotent=True)},
    "/api/v1/holds/{hold_id}/confirm": {"post": _operation(
        "confirmHold", "Book the held places for a person; returns the booking code", 201, _ref("Booking"),
        (403, 404, 409, 410, 422), body="ConfirmRequest", params=(_path_id("hold_id"),), idempotent=True)},
    "/api/v1/bookings/lookup": {"post": _operation(
        "lookupBooking", "A booking by its code and the person's date of birth", 200, _ref("Booking"),
        (404, 422), body="LookupRequest")},
    "/api/v1/bookings/cancel": {"post": _operation(
        "cancelBooking", "Cancel a booking (or only its second dose)", 200, _ref("Booking"), (404, 409, 422),
        body="CancelRequest", idempotent=True)},
    "/api/v1/bookings/rebook": {"post": _operation(
        "rebookBooking", "Move a booking to other slots (same vaccine); the new places are taken first",
        200, _ref("Booking"), (404, 409, 422), body="RebookRequest", idempotent=True)},
}


def document() -> dict:
    """The whole OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Hotline online booking API", "version": "1.0.0",
                 "description": "Server-to-server API for the online portal. It books from the online quota "
                                "and from phone places only after their release time. Errors are "
                                "application/problem+json with a stable `code`."},
        "servers": [{"url": "/"}],
        "security": [{"apiKey": []}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "parameters": _PARAMETERS,
            "securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": API_KEY_HEADER,
                                           "description": "created with `hotline api-keys add NAME`"}},
        },
    }
