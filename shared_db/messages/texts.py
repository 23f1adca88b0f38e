"""Texts of outgoing messages in German, English and Turkish: date, time, address, code; no health data."""
from __future__ import annotations

from babel.dates import format_date, format_time

from shared_db.models import Booking, Slot
from shared_db.policy import DEFAULT_POLICY

TEMPLATES = {
    "confirmation": {
        "de": "Ihr Impftermin: {first}, {address}. Impfstoff: {vaccine}. {second}Buchungscode: {code}. "
              "Bitte Ausweis mitbringen.",
        "en": "Your vaccination appointment: {first}, {address}. Vaccine: {vaccine}. {second}Booking code: {code}. "
              "Please bring ID.",
        "tr": "Aşı randevunuz: {first}, {address}. Aşı: {vaccine}. {second}Kod: {code}. Kimliğinizi getirin.",
    },
    "reminder": {
        "de": "Erinnerung an Ihren Impftermin: {first}, {address}. Buchungscode: {code}.",
        "en": "Reminder of your vaccination appointment: {first}, {address}. Booking code: {code}.",
        "tr": "Aşı randevunuz için hatırlatma: {first}, {address}. Rezervasyon kodu: {code}.",
    },
    "reminder_second": {
        "de": "Erinnerung an Ihre 2. Impfung: {second_when}, {address}. Buchungscode: {code}.",
        "en": "Reminder of your 2nd vaccination: {second_when}, {address}. Booking code: {code}.",
        "tr": "2. aşınız için hatırlatma: {second_when}, {address}. Rezervasyon kodu: {code}.",
    },
    "reconfirm": {
        "de": "Bitte bestätigen Sie Ihren Impftermin {first}, {address}. {reply}Ohne Bestätigung wird er "
              "freigegeben. Code: {code}.",
        "en": "Please confirm your vaccination appointment {first}, {address}. {reply}Without confirmation it "
              "will be released. Code: {code}.",
        "tr": "Lütfen {first} tarihli aşı randevunuzu onaylayın ({address}). {reply}Onaylanmazsa iptal "
              "edilir. Kod: {code}.",
    },
    "cancellation": {
        "de": "Ihr Impftermin {first} (Code {code}) wurde storniert. {why}Fragen und neuer Termin: "
              "Impfhotline {hotline}.",
        "en": "Your vaccination appointment {first} (code {code}) has been cancelled. {why}Questions and a new "
              "appointment: call {hotline}.",
        "tr": "{first} tarihli aşı randevunuz (kod {code}) iptal edildi. {why}Sorular ve yeni randevu için: "
              "{hotline}.",
    },
    "released": {
        "de": "Ihr Impftermin {first} (Code {code}) wurde nicht bestätigt und ist daher freigegeben. "
              "Einen neuen Termin erhalten Sie unter 116117.",
        "en": "Your vaccination appointment {first} (code {code}) was not confirmed and has been released. "
              "For a new one, call 116117.",
        "tr": "{first} tarihli aşı randevunuz (kod {code}) onaylanmadığı için iptal edildi. Yeni randevu için: 116117.",
    },
    "moved_supply": {
        "de": "Weil weniger Impfstoff geliefert wird, wurde Ihr Impftermin verlegt: {first}, {address}. "
              "{second}Code: {code}.",
        "en": "Because less vaccine is being delivered, your appointment has moved: {first}, {address}. "
              "{second}Code: {code}.",
        "tr": "Daha az aşı teslim edildiği için randevunuz değişti: {first}, {address}. {second}Kod: {code}.",
    },
    "cancelled_supply": {
        "de": "Weil weniger Impfstoff geliefert wird, müssen wir Ihren Impftermin {first} (Code {code}) leider "
              "absagen. Einen neuen Termin erhalten Sie unter 116117.",
        "en": "Because less vaccine is being delivered, we are sorry to cancel your appointment {first} "
              "(code {code}). For a new one, call 116117.",
        "tr": "Daha az aşı teslim edildiği için {first} tarihli randevunuzu (kod {code}) maalesef iptal etmek "
              "zorundayız. Yeni randevu için: 116117.",
    },
    "rebooked": {
        "de": "Ihr Impftermin wurde verlegt: {first}, {address}. Impfstoff: {vaccine}. {second}Buchungscode: {code}.",
        "en": "Your vaccination appointment has moved: {first}, {address}. Vaccine: {vaccine}. {second}Booking code: "
              "{code}.",
        "tr": "Aşı randevunuz değişti: {first}, {address}. Aşı: {vaccine}. {second}Kod: {code}.",
    },
}
# How to answer a reconfirmation request: by SMS reply; a call asks for a key instead (hotline/jobs/notifier.py).
REPLY = {"de": "Antworten Sie dazu mit JA. ", "en": "To do so, reply YES. ", "tr": "EVET diye yanıtlayın. "}
SECOND = {"de": "2. Impfung: {when}. ", "en": "2nd dose: {when}. ", "tr": "2. doz: {when}. "}
LOCALES = {"de": "de_DE", "en": "en_GB", "tr": "tr_TR"}
# Why a booking was cancelled, in plain words, for supervisors' bulk cancellations (the verification view).
CANCEL_REASONS = {
    "not_on_list": {
        "de": "Der Termin war für Personen auf einer Einladungsliste gedacht, und Ihr Name steht auf keiner. ",
        "en": "The appointment was meant for people on an invitation list, and your name is not on one. ",
        "tr": "Randevu davet listesindeki kişiler içindi ve adınız hiçbir listede yok. ",
    },
    "not_eligible": {
        "de": "Nach den aktuellen Regeln kann Ihre Gruppe noch nicht geimpft werden. ",
        "en": "Under the current rules your group cannot be vaccinated yet. ",
        "tr": "Mevcut kurallara göre grubunuz henüz aşılanamıyor. ",
    },
    "supply": {
        "de": "Es wurde weniger Impfstoff geliefert als geplant. ",
        "en": "Less vaccine was delivered than planned. ",
        "tr": "Planlanandan daha az aşı teslim edildi. ",
    },
}


def when(slot: Slot, language: str) -> str:
    """Short local date and time of a slot, e.g. 'Di., 06.04.2021, 14:30'."""
    locale = LOCALES.get(language, "de_DE")
    tz = slot.centre.timezone
    day = format_date(slot.starts_at.astimezone(_zone(tz)), "EEE dd.MM.yyyy", locale=locale)
    return f"{day}, {format_time(slot.starts_at, 'HH:mm', tzinfo=_zone(tz), locale=locale)}"


def render(kind: str, language: str, booking: Booking, channel: str = "sms", why: str | None = None,
           hotline: str = DEFAULT_POLICY.hotline_number) -> str:
    """The text of a message about a booking, in the person's language (German if unknown).

    `why` names one of CANCEL_REASONS, said in a cancellation; `hotline` is this hotline's own number.
    """
    language = language if language in LOCALES else "de"
    reply = REPLY[language] if channel == "sms" else ""
    second = SECOND[language].format(when=when(booking.second_slot, language)) if booking.second_slot else ""
    centre = booking.first_slot.centre
    second_when = when(booking.second_slot, language) if booking.second_slot else ""
    return TEMPLATES[kind][language].format(first=when(booking.first_slot, language),
                                            address=f"{centre.name}, {centre.address}", second=second,
                                            second_when=second_when, code=booking.code, reply=reply,
                                            vaccine=short_vaccine(booking.first_slot.vaccine.name),
                                            why=CANCEL_REASONS[why][language] if why else "", hotline=hotline)


def short_vaccine(name: str) -> str:
    """A vaccine's name short enough for an SMS: 'BioNTech/Pfizer (Comirnaty)' -> 'BioNTech/Pfizer'."""
    return name.split(" (")[0]


def _zone(tz: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(tz)


# GSM 03.38: the basic set costs one septet per character, the extension table two; anything else means UCS-2.
GSM7_BASIC = ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
              "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENDED = "^{}\\[~]|€\f"


def sms_segments(text: str) -> tuple[str, int]:
    """Encoding ('GSM-7' or 'UCS-2') and number of SMS segments the text needs."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text):
        units, single, multi = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text), 160, 153
        encoding = "GSM-7"
    else:
        units, single, multi = len(text.encode("utf-16-le")) // 2, 70, 67
        encoding = "UCS-2"
    return encoding, 1 if units <= single else -(-units // multi)


# --------------------------------------------------------------------------- invitations (no booking yet)

INVITATION_SMS = ("Impfhotline: Einladung zur Corona-Impfung für {name} ({institution}). Ihr persönlicher "
                  "Einladungscode: {code}. Er gilt nur für Sie. Termin: Tel. {hotline} oder online.")
INVITATION_LETTER = """\
Einladung zur Corona-Schutzimpfung

Guten Tag {name},

über {institution} sind Sie zur Corona-Schutzimpfung eingeladen. Ihr persönlicher Einladungscode lautet:

    {code}

Der Code gilt nur für Sie, zusammen mit Ihrem Namen und Ihrem Geburtsdatum, und nur für einen Termin.
Bitte geben Sie ihn nicht weiter. Einen Termin buchen Sie telefonisch unter {hotline} (die Ansage fragt
nach dem Code) oder online. Wir fragen nie nach Bank- oder Kontodaten.

Invitation to the COVID-19 vaccination: your personal invitation code is {code}. It is valid only for you
(your name and date of birth) and for one appointment. Book by phone at {hotline} or online.

COVID-19 aşısı daveti: kişisel davet kodunuz {code}. Kod yalnızca sizin için (adınız ve doğum tarihiniz)
ve tek bir randevu için geçerlidir. Randevu için {hotline} numaralı telefonu arayın veya internetten alın.
"""
SUBJECTS = {
    "invitation": "Ihre Einladung zur Corona-Impfung / Your vaccination invitation / Aşı davetiniz",
    "group_open": "Ihre Gruppe kann jetzt Impftermine buchen / Your group can book now / Grubunuz randevu alabilir",
}


def invitation_text(channel: str, *, name: str, institution: str, code: str, hotline: str) -> str:
    """The invitation with the personal code: a short SMS, or the full letter (e-mail and paper)."""
    template = INVITATION_SMS if channel == "sms" else INVITATION_LETTER
    return template.format(name=name, institution=institution, code=f"{code[:4]} {code[4:]}", hotline=hotline)


def email_subject(kind: str) -> str:
    """The subject line of an e-mail of this kind."""
    return SUBJECTS.get(kind, "Impfhotline")
