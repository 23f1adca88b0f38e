"""Reading what callers type or say, and saying dates, times and codes back naturally.

Pure functions: keypad digits and Twilio's SpeechResult in, plain values out.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_month_names

import voice_prompts as vp
from shared_db.ledger.codes import spoken_groups

LOCALES = {"de": "de_DE", "en": "en_GB", "tr": "tr_TR"}
OLDEST_AGE = 115  # years: an older date of birth is a typing mistake
YOUNGEST_AGE = 12
_DAY_MONTH = re.compile(r"(\d{1,2})\s*[.\s]\s*([^\W\d_]+)\s*[.\s]?\s*(\d{4})", re.UNICODE)


def locale(lang: str) -> str:
    return LOCALES.get(lang, "de_DE")


def digits_from(keys: str | None, speech: str | None, lang: str) -> str:
    """Digits typed, or spoken as numerals or number words ("null drei" -> "03")."""
    if keys:
        return "".join(ch for ch in keys if ch.isdigit())
    if not speech:
        return ""
    table = vp.words(lang)["digits"]
    out = []
    for token in re.findall(r"\d+|[^\W\d_]+", speech.lower()):
        out.append(token if token.isdigit() else table.get(token, ""))
    return "".join(out)


def matches(speech: str | None, lang: str, group: str) -> bool:
    """True when the caller said one of the words of a group ("yes", "no", "agent", "repeat")."""
    if not speech:
        return False
    said = " " + re.sub(r"[^\w ]", " ", speech.lower()) + " "
    return any(f" {word} " in said for word in vp.words(lang).get(group, ()))


def parse_birth_date(keys: str | None, speech: str | None, lang: str, today: date) -> date | None:
    """A plausible date of birth from DDMMYYYY keys or speech ("3. März 1938"), else None."""
    spoken = _spoken_date(speech, lang) if speech and not keys else None
    if spoken is None:
        raw = digits_from(keys, speech, lang)
        if len(raw) != 8:
            return None
        try:
            spoken = date(int(raw[4:]), int(raw[2:4]), int(raw[:2]))
        except ValueError:
            return None
    age = today.year - spoken.year - ((today.month, today.day) < (spoken.month, spoken.day))
    return spoken if YOUNGEST_AGE <= age <= OLDEST_AGE else None


def _spoken_date(speech: str, lang: str) -> date | None:
    match = _DAY_MONTH.search(speech.lower())
    if not match:
        return None
    months = {name.lower(): number for number, name in get_month_names("wide", locale=locale(lang)).items()}
    month = months.get(match.group(2))
    try:
        return date(int(match.group(3)), month, int(match.group(1))) if month else None
    except ValueError:
        return None


def clean_name(speech: str | None) -> str:
    """A spoken name as text: letters, spaces, hyphens and apostrophes, in title case."""
    if not speech:
        return ""
    kept = re.sub(r"[^\w\s'\-]|\d|_", " ", speech, flags=re.UNICODE)
    words = [w.capitalize() if w.islower() else w for w in kept.split()]
    return " ".join(words)[:120]


# --------------------------------------------------------------------------- saying things back


def say_when(moment: str | datetime, tz: str, lang: str) -> str:
    """A slot's time read naturally: "Dienstag, den 6. April, um 14:30 Uhr"."""
    moment = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    local = moment.astimezone(ZoneInfo(tz))
    meta = vp.meta(lang)
    day = format_date(local.date(), meta["date"], locale=locale(lang))
    return meta["when"].format(date=day, time=format_time(local.time(), meta["time"], locale=locale(lang)))


def say_day(day: str | date, lang: str) -> str:
    """A calendar day read naturally: "Dienstag, den 6. April"."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return format_date(day, vp.meta(lang)["date"], locale=locale(lang))


def say_birth(day: str | date, lang: str) -> str:
    """A date of birth read back: "3. März 1938"."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return format_date(day, vp.meta(lang)["birth"], locale=locale(lang))


def say_code(code: str) -> str:
    """A booking code digit by digit, with a pause between groups of three."""
    return " | ".join(" ".join(group) for group in spoken_groups(code))
