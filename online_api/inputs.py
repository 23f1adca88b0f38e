"""Reading the request: JSON bodies against the document's schemas, query strings, codes and dates."""
from __future__ import annotations

import re
from datetime import date, timedelta

from flask import request

from online_api.problems import invalid
from online_api.validation import errors_for, parse_date
from shared_db import clock
from shared_db.ledger.codes import clean_code, is_valid_code
from shared_db.types import utcnow


def json_body(schema_name: str) -> dict:
    """The request's JSON object, checked against the document's schema; invalid_input lists every bad field."""
    data = request.get_json(silent=True)
    errors = errors_for(schema_name, data)
    if errors:
        raise invalid(errors)
    return data


def plausible_birth_date(raw: str) -> date:
    """A birth date that is not in the future and at most 120 years ago."""
    dob = parse_date(raw)
    today = clock.today(utcnow())
    if dob > today or today.year - dob.year > 120:
        raise invalid([{"field": "date_of_birth", "message": "not a plausible date of birth"}])
    return dob


def booking_code(data: dict) -> str:
    """The booking code without separators; invalid_input when its check digit does not match."""
    code = clean_code(data["booking_code"])
    if not is_valid_code(code):
        raise invalid([{"field": "booking_code", "message": "not a booking code (check digit does not match)"}])
    return code


def slot_query(today: date) -> tuple[date, date, str | None, int]:
    """from, to, vaccine and limit of a slot search, every bad one reported."""
    errors: list[dict[str, str]] = []
    first = _query_date("from", errors) or today
    last = _query_date("to", errors) or first + timedelta(days=13)
    if not errors and not 0 <= (last - first).days <= 62:
        errors.append({"field": "to", "message": "0 to 62 days after from"})
    vaccine = request.args.get("vaccine")
    if vaccine is not None and not re.fullmatch(r"[A-Za-z0-9]{1,20}", vaccine):
        errors.append({"field": "vaccine", "message": "a vaccine code such as BNT"})
    raw_limit = request.args.get("limit", "20")
    limit = int(raw_limit) if re.fullmatch(r"[0-9]{1,3}", raw_limit) else 0
    if not 1 <= limit <= 50:
        errors.append({"field": "limit", "message": "1 to 50"})
    if errors:
        raise invalid(errors)
    return first, last, vaccine, limit


def _query_date(name: str, errors: list[dict[str, str]]) -> date | None:
    """A YYYY-MM-DD query argument between 2000 and 2100 (so date arithmetic cannot overflow), or None."""
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
            day = parse_date(raw)
            if 2000 <= day.year <= 2100:
                return day
    except ValueError:
        pass
    errors.append({"field": name, "message": "a date YYYY-MM-DD between 2000 and 2100 expected"})
    return None
