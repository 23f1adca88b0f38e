"""Mobile teams for care homes: one visit of a centre's team, its residents booked as the visit's bookings.

Half the doses of a day go to care homes (CONTEXT.md). An agent books a team's
day for a home from the home's list: one visit, every resident on the same pair
of slots, all or none. Residents have no calling number, so no per-number limit
applies; check-in, outcomes and retention are the same as at the centre.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from shared_db.errors import InvalidInput
from shared_db.people.identity import PersonDetails

_LINE = re.compile(r"^\s*(?P<name>[^;,\t]+?)\s*[;,\t]\s*(?P<dob>\d{1,2}\.\d{1,2}\.\d{4}|\d{4}-\d{2}-\d{2})\s*$")


@dataclass(frozen=True)
class ResidentLine:
    line: int
    details: PersonDetails


def parse_residents(text: str) -> list[ResidentLine]:
    """The home's list, one resident a line as 'Name; DD.MM.YYYY'; a bad line rejects the list with its number."""
    residents = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        match = _LINE.match(raw)
        if match is None:
            raise InvalidInput("residents", f"line {number}: expected 'Name; DD.MM.YYYY'")
        dob_text = match["dob"]
        try:
            if "-" in dob_text:
                born = date.fromisoformat(dob_text)
            else:
                day, month, year = (int(p) for p in dob_text.split("."))
                born = date(year, month, day)
        except ValueError:
            raise InvalidInput("residents", f"line {number}: no such date {dob_text}") from None
        residents.append(ResidentLine(number, PersonDetails(name=match["name"], date_of_birth=born,
                                                            priority_group=1)))
    if not residents:
        raise InvalidInput("residents", "the list names nobody")
    return residents
