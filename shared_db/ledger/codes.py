"""Booking codes: digits only, with a Damm check digit.

The Damm algorithm detects every single wrong digit and every swap of two
adjacent digits, the two mistakes people make typing or reading numbers aloud.
"""
from __future__ import annotations

import secrets

CODE_LENGTH = 9  # 8 random digits + 1 check digit: read aloud in groups of three

_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def damm_digit(digits: str) -> str:
    """The Damm check digit for a string of digits."""
    interim = 0
    for ch in digits:
        interim = _DAMM[interim][int(ch)]
    return str(interim)


def is_valid_code(code: str) -> bool:
    """True for a well-formed code whose check digit matches."""
    return len(code) == CODE_LENGTH and code.isdigit() and damm_digit(code) == "0"


def new_code() -> str:
    """A fresh random code; the first digit is never 0 so nothing reads it as shorter."""
    body = str(secrets.randbelow(9) + 1) + "".join(str(secrets.randbelow(10)) for _ in range(CODE_LENGTH - 2))
    return body + damm_digit(body)


def clean_code(raw: str) -> str:
    """Strip spaces, dashes and dots people type or say between groups."""
    return "".join(ch for ch in raw if ch.isdigit())


def spoken_groups(code: str) -> list[str]:
    """The code in groups of three, for reading aloud."""
    return [code[i:i + 3] for i in range(0, len(code), 3)]
