"""RFC 9457 problem details: every error of the API as application/problem+json with a stable `code`."""
from __future__ import annotations

import json

from flask import Response
from werkzeug.exceptions import HTTPException

from shared_db.errors import (
    CallerLimitReached,
    InvalidInput,
    LedgerError,
    NotEligible,
    PersonAlreadyBooked,
)

MEDIA_TYPE = "application/problem+json"
# HTTP status and title per stable code; the code, not the text, is what clients branch on.
CODES = {
    "invalid_input": (422, "Invalid input"),
    "not_eligible": (403, "Not eligible"),
    "slot_gone": (409, "Slot no longer available"),
    "hold_expired": (410, "Hold expired"),
    "already_booked": (409, "Person already booked"),
    "needs_agent": (409, "The last appointment was missed: please call the hotline to book again"),
    "number_limit": (409, "Too many bookings for this phone number"),
    "not_found": (404, "Not found"),
    "invalid_state": (409, "Not possible in the booking's current state"),
    "unauthorized": (401, "Missing or invalid API key"),
    "rate_limited": (429, "Too many requests"),
    "idempotency_key_reused": (422, "Idempotency-Key reused with a different request"),
    "method_not_allowed": (405, "Method not allowed"),
    "waiting_room": (429, "In the waiting room"),
    "invitation_invalid": (422, "Not a valid invitation code"),
    "invitation_not_yours": (403, "The invitation code belongs to another person"),
    "invitation_used": (409, "The invitation code is already used"),
}
# What the portal shows the person for an invitation refusal: kind, plain German, with the way to a human.
INVITATION_MESSAGES = {
    "invitation_invalid": "Dieser Einladungscode ist nicht gültig. Bitte prüfen Sie die Ziffern.",
    "invitation_not_yours": "Dieser Einladungscode gehört zu einer anderen Person. Bitte verwenden Sie Ihren "
                            "eigenen Code aus Ihrer Einladung. Bei Fragen helfen wir Ihnen gern am Telefon.",
    "invitation_used": "Mit diesem Einladungscode wurde bereits ein Termin gebucht. Wenn Sie ihn nicht selbst "
                       "gebucht haben, rufen Sie uns bitte an.",
}


class ApiProblem(Exception):
    """An error the API answers with a problem document."""

    def __init__(self, code: str, detail: str, headers: dict | None = None, **extra) -> None:
        super().__init__(detail)
        self.code, self.detail, self.extra, self.headers = code, detail, extra, headers

    @property
    def status(self) -> int:
        """The HTTP status of this problem's code."""
        return CODES[self.code][0]

    def body(self) -> dict:
        """The problem document as a dict."""
        status, title = CODES[self.code]
        return {"type": f"urn:hotline:problem:{self.code}", "title": title, "status": status,
                "code": self.code, "detail": self.detail, **self.extra}


def invalid(errors: list[dict[str, str]]) -> ApiProblem:
    """An invalid_input problem listing every bad field."""
    fields = ", ".join(e["field"] for e in errors)
    return ApiProblem("invalid_input", f"invalid fields: {fields}", errors=errors)


def from_ledger(exc: LedgerError) -> ApiProblem:
    """The problem for a refusal of the ledger; the ledger's code is kept as is."""
    if isinstance(exc, InvalidInput):
        return invalid([{"field": exc.field, "message": exc.message}])
    if isinstance(exc, NotEligible):
        extra = {"opens_on": exc.opens_on.isoformat() if exc.opens_on else None}
        if getattr(exc, "questions", None):
            extra["questions"] = list(exc.questions)
        return ApiProblem("not_eligible", exc.reason, **extra)
    if isinstance(exc, CallerLimitReached):
        return ApiProblem("number_limit", str(exc), limit=exc.limit)
    if isinstance(exc, PersonAlreadyBooked):
        # The existing booking's code is not shown: the portal could be anyone typing a name and birth date.
        return ApiProblem("already_booked", "this person already has an active booking")
    if exc.code in INVITATION_MESSAGES:
        return ApiProblem(exc.code, str(exc), message=INVITATION_MESSAGES[exc.code])
    code = exc.code if exc.code in CODES else "invalid_state"
    return ApiProblem(code, str(exc))


def as_problem(exc: Exception) -> ApiProblem:
    """ApiProblem for an ApiProblem or a ledger refusal."""
    return exc if isinstance(exc, ApiProblem) else from_ledger(exc)


def response(status: int, body: dict | None, headers: dict | None = None) -> Response:
    """A JSON response; problem+json for errors, nothing for 204."""
    if body is None:
        return Response(status=status, headers=headers)
    media = MEDIA_TYPE if status >= 400 else "application/json"
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=media, headers=headers)


def problem_response(problem: ApiProblem, headers: dict | None = None) -> Response:
    """The problem as an application/problem+json response."""
    return response(problem.status, problem.body(), headers)


def ledger_problem(exc: Exception):
    """Handler: an ApiProblem or a ledger refusal as its problem document."""
    problem = as_problem(exc)
    return problem_response(problem, problem.headers)


def http_problem(exc: HTTPException):
    """Werkzeug's errors (429 from the limiter, 404, 405, 413 ...) as problems."""
    if exc.code == 429:
        problem = ApiProblem("rate_limited", f"rate limit exceeded ({exc.description}); retry later")
        return problem_response(problem, {"Retry-After": exc.response.headers.get("Retry-After", "60")}
                                if exc.response is not None else {"Retry-After": "60"})
    if exc.code == 404:
        return problem_response(ApiProblem("not_found", "no such resource"))
    if exc.code == 405:
        return problem_response(ApiProblem("method_not_allowed", "method not allowed here"),
                                {"Allow": ", ".join(exc.valid_methods or [])})
    return problem_response(ApiProblem("invalid_input", exc.description or "request not understood",
                                       errors=[{"field": "body", "message": exc.name}]))
