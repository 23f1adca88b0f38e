"""German area code -> place, from phonenumbers' geocoding data, without loading that data at run time.

`phonenumbers.geocoder` imports the geocoding table of the whole world: about 113 MiB resident in
every web and rq worker. The IVR only needs the places of German landline prefixes, so
`python -m ivr.area_codes --write` derives them once into area_codes_de.json (committed, ~140 KB),
and `place_of` repeats the geocoder's longest-prefix match on that table.
"""
from __future__ import annotations

import argparse
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import phonenumbers

COUNTRY_CODE = 49
LANGUAGE = "de"
DATA_FILE = "area_codes_de.json"
# What the geocoder answers for a German number it has no prefix for: no town, so no suggestion.
COUNTRY_NAME = "Deutschland"


class Table(NamedTuple):
    """German prefixes (E.164 digits without the +) -> place, and the length of the longest one."""

    prefixes: dict[str, str]
    longest: int


# --------------------------------------------------------------------------- run time


def place_of(number: str | None) -> str | None:
    """The town of a German landline's area code; None for mobiles, foreign numbers and unknowns."""
    return place_in(_table(), number)


def place_in(table: Table, number: str | None) -> str | None:
    """The place the geocoder's description_for_number(number, "de") names for a German landline."""
    parsed = _parse(number)
    if parsed is None or not _is_german_landline(parsed):
        return None
    digits = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)[1:]
    place = _longest_prefix_match(digits, table)
    return place if place and place != COUNTRY_NAME else None


def _parse(number: str | None) -> phonenumbers.PhoneNumber | None:
    """The caller's E.164 number parsed; None when there is none (anonymous) or it is not a number."""
    if not number:
        return None
    try:
        return phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return None


def _is_german_landline(parsed: phonenumbers.PhoneNumber) -> bool:
    """+49 and of a type the geocoder places by prefix (for mobiles it names only the country)."""
    kind = phonenumbers.number_type(parsed)
    return parsed.country_code == COUNTRY_CODE and phonenumbers.is_number_type_geographical(kind, COUNTRY_CODE)


def _longest_prefix_match(digits: str, table: Table) -> str | None:
    """The place of the longest prefix of the digits in the table, as phonenumbers' prefix lookup does."""
    for length in range(min(len(digits), table.longest), 0, -1):
        place = table.prefixes.get(digits[:length])
        if place is not None:
            return place
    return None


@cache
def _table() -> Table:
    """The committed table, read once per process on the first lookup."""
    return table_of(json.loads(committed_text()))


def table_of(data: dict) -> Table:
    """The lookup table of a generated or committed file's contents."""
    return Table(data["prefixes"], max(map(len, data["prefixes"]), default=0))


def committed_text() -> str:
    """The table file as committed in the package."""
    return resources.files("ivr").joinpath(DATA_FILE).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- generation (development only)


def generate() -> dict:
    """The table from the installed phonenumbers' geocoding data; imports all of it, so never at run time."""
    from phonenumbers.geodata import GEOCODE_DATA

    # The geocoder's own choice among a prefix's names: German, else English, else try a shorter prefix.
    from phonenumbers.prefix import _find_lang

    # Countries with a mobile token (Argentina's 9) strip it before the lookup; place_in does not.
    if phonenumbers.country_mobile_token(COUNTRY_CODE):
        raise RuntimeError(f"+{COUNTRY_CODE} has a mobile token now; place_in would have to strip it")
    country = str(COUNTRY_CODE)
    prefixes = {}
    for prefix, names in GEOCODE_DATA.items():
        place = _find_lang(names, LANGUAGE, None, None)
        if place is not None and (prefix.startswith(country) or country.startswith(prefix)):
            prefixes[prefix] = place
    return {"source": "phonenumbers' geocoder data: description_for_number(number, 'de') for +49 landlines",
            "phonenumbers": phonenumbers.__version__, "country_code": COUNTRY_CODE, "language": LANGUAGE,
            "prefixes": dict(sorted(prefixes.items()))}


def render(data: dict) -> str:
    """The table as the committed file: one prefix a line, so a data update reads well in a diff."""
    return json.dumps(data, ensure_ascii=False, indent=0) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Check the committed table against the installed phonenumbers, or rewrite it with --write."""
    parser = argparse.ArgumentParser(prog="python -m ivr.area_codes", description=main.__doc__)
    parser.add_argument("--write", action="store_true", help=f"rewrite ivr/{DATA_FILE}")
    args = parser.parse_args(argv)
    data = generate()
    text, path = render(data), Path(__file__).with_name(DATA_FILE)
    summary = f"{len(data['prefixes'])} prefixes from phonenumbers {data['phonenumbers']}"
    if args.write:
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path} ({len(text.encode())} bytes): {summary}")
        return 0
    if path.exists() and path.read_text(encoding="utf-8") == text:
        print(f"ivr/{DATA_FILE} is up to date: {summary}")
        return 0
    print(f"ivr/{DATA_FILE} differs from {summary}; run python -m ivr.area_codes --write")
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
