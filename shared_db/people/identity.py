"""Who a person is, without the database: details, the identity key of a name, phone numbers."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

import phonenumbers

from shared_db.errors import InvalidInput

_FOLD = str.maketrans({"ß": "ss", "ä": "ae", "ö": "oe", "ü": "ue", "-": " ", ".": " ", ",": " ", "'": ""})


@dataclass(frozen=True)
class PersonDetails:
    """What a channel knows about the person being booked."""

    name: str
    date_of_birth: date
    postcode: str | None = None
    phone: str | None = None
    language: str = "de"
    priority_group: int | None = None
    name_recording_url: str | None = None


def name_key(name: str) -> str:
    """Fold case, umlauts, accents, punctuation and word order so 'Müller, Hans' == 'hans mueller'."""
    folded = name.strip().lower().translate(_FOLD)
    folded = unicodedata.normalize("NFKD", folded)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(sorted(folded.split()))


def normalise_phone(raw: str, region: str = "DE") -> str:
    """E.164 form of a phone number in any common format; InvalidInput if it is not one."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput("phone", "not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput("phone", "not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_mobile(e164: str | None) -> bool:
    """True when the number can receive SMS (a mobile number, decided by phonenumbers)."""
    if not e164:
        return False
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    kind = phonenumbers.number_type(number)
    return kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def mask_phone(e164: str | None) -> str:
    """A phone number safe for logs: country code and last two digits only."""
    if not e164:
        return "-"
    return e164[:3] + "…" + e164[-2:]


def validate_details(details: PersonDetails, today: date) -> None:
    """Reject details no real person has: empty name, future or implausible birth date, bad postcode."""
    if not details.name or not details.name.strip() or len(details.name) > 160:
        raise InvalidInput("name", "a name is needed")
    age = today.year - details.date_of_birth.year
    if details.date_of_birth > today or age > 120:
        raise InvalidInput("date_of_birth", "not a plausible date of birth")
    if details.postcode is not None and not (len(details.postcode) == 5 and details.postcode.isdigit()):
        raise InvalidInput("postcode", "five digits expected")
