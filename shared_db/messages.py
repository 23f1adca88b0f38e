"""Texts of outgoing messages in German, English and Turkish: date, time, address, code; no health data."""
from __future__ import annotations

from babel.dates import format_date, format_time

from shared_db.models import Booking, Slot

TEMPLATES = {
    "confirmation": {
        "de": "Ihr Impftermin: {first}, {address}. {second}Buchungscode: {code}. Bitte Ausweis mitbringen.",
        "en": "Your vaccination appointment: {first}, {address}. {second}Booking code: {code}. Please bring ID.",
        "tr": "Aşı randevunuz: {first}, {address}. {second}Rezervasyon kodu: {code}. Lütfen kimliğinizi getirin.",
    },
    "reminder": {
        "de": "Erinnerung an Ihren Impftermin: {first}, {address}. Buchungscode: {code}.",
        "en": "Reminder of your vaccination appointment: {first}, {address}. Booking code: {code}.",
        "tr": "Aşı randevunuz için hatırlatma: {first}, {address}. Rezervasyon kodu: {code}.",
    },
    "reconfirm": {
        "de": "Bitte bestätigen Sie Ihren Impftermin {first} mit der Antwort JA. Sonst wird er freigegeben. Code: {code}.",
        "en": "Please confirm your vaccination appointment {first} by replying YES, or it will be released. Code: {code}.",
        "tr": "Lütfen {first} aşı randevunuzu EVET yanıtıyla onaylayın, aksi halde iptal edilir. Kod: {code}.",
    },
    "cancellation": {
        "de": "Ihr Impftermin {first} (Code {code}) wurde storniert. Neuer Termin: Tel. 116117.",
        "en": "Your vaccination appointment {first} (code {code}) has been cancelled. New appointment: call 116117.",
        "tr": "{first} aşı randevunuz (kod {code}) iptal edildi. Yeni randevu için: 116117.",
    },
    "rebooked": {
        "de": "Ihr Impftermin wurde verlegt: {first}, {address}. {second}Buchungscode: {code}.",
        "en": "Your vaccination appointment has moved: {first}, {address}. {second}Booking code: {code}.",
        "tr": "Aşı randevunuz değişti: {first}, {address}. {second}Rezervasyon kodu: {code}.",
    },
}
SECOND = {"de": "2. Impfung: {when}. ", "en": "2nd dose: {when}. ", "tr": "2. doz: {when}. "}
LOCALES = {"de": "de_DE", "en": "en_GB", "tr": "tr_TR"}


def when(slot: Slot, language: str) -> str:
    """Short local date and time of a slot, e.g. 'Di., 06.04.2021, 14:30'."""
    locale = LOCALES.get(language, "de_DE")
    tz = slot.centre.timezone
    day = format_date(slot.starts_at.astimezone(_zone(tz)), "EEE dd.MM.yyyy", locale=locale)
    return f"{day}, {format_time(slot.starts_at, 'HH:mm', tzinfo=_zone(tz), locale=locale)}"


def render(kind: str, language: str, booking: Booking) -> str:
    """The text of a message about a booking, in the person's language (German if unknown)."""
    language = language if language in LOCALES else "de"
    second = SECOND[language].format(when=when(booking.second_slot, language)) if booking.second_slot else ""
    centre = booking.first_slot.centre
    return TEMPLATES[kind][language].format(first=when(booking.first_slot, language),
                                            address=f"{centre.name}, {centre.address}",
                                            second=second, code=booking.code)


def _zone(tz: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(tz)
