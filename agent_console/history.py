"""The person page's history as sentences an agent can read aloud: who (an agent's name, "Hotline-Anruf",
"Online-Portal"), what (in words, with the booking code and the new time), and the reason given."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent_console.i18n import day_short, t
from shared_db import clock
from shared_db.models import AuditEntry, Booking, Slot, User

# audit actor prefix -> who it was, in words (an agent is named)
ACTOR_KINDS = {"call": "actor.call", "caller": "actor.call", "sms": "actor.sms", "api": "actor.online",
               "client": "actor.online", "system": "actor.system", "booked": "actor.system"}
KNOWN = {("booking", a) for a in ("confirmed", "rebooked", "cancelled", "second_dose_cancelled", "reconfirmed",
                                  "eligibility_override", "completed", "no_show", "expired", "released",
                                  "checked_in")}
KNOWN |= {("person", a) for a in ("registered", "updated", "note_added", "message_resent")}


@dataclass(frozen=True)
class Line:
    at: datetime
    who: str
    what: str
    reason: str


def lines(s: Session, entries: list[AuditEntry], bookings: list[Booking]) -> list[Line]:
    """The audit entries of a person and their bookings as sentences, newest first."""
    codes = {b.id: b.code for b in bookings}
    names = _agent_names(s, entries)
    slots = _slots(s, entries)
    return [Line(e.at, who(e.actor, names), what(e, codes, slots), e.reason or "") for e in entries]


def authors(s: Session, actors: list[str]) -> dict[str, str]:
    """Each audit actor string in words (for notes' authors)."""
    names = _agent_names(s, actors)
    return {actor: who(actor, names) for actor in actors}


def who_plain(actor: str) -> str:
    """An actor in words without a database look-up (agents shown as 'Agent')."""
    kind = (actor or "").partition(":")[0]
    return t("channel.agent") if kind == "agent" else t(ACTOR_KINDS.get(kind, "actor.other"))


def who(actor: str, names: dict[int, str]) -> str:
    """An audit actor in words: the agent's name, or the channel."""
    kind, _, ident = (actor or "").partition(":")
    if kind == "agent":
        return names.get(int(ident), t("actor.agent_gone")) if ident.isdigit() else t("actor.agent_gone")
    return t(ACTOR_KINDS.get(kind, "actor.other"))


def what(entry: AuditEntry, codes: dict[int, str], slots: dict[int, Slot]) -> str:
    """What happened, as a sentence."""
    if (entry.entity, entry.action) not in KNOWN:
        return t("history.other", action=entry.action.replace("_", " "))
    code = codes.get(entry.entity_id, str(entry.entity_id))
    key = f"history.{entry.entity}.{entry.action}"
    first = slots.get((entry.after or {}).get("first_slot_id"))
    if entry.action in ("confirmed", "rebooked"):  # these say the (new) time
        if first is None:
            return t(key + "_plain", code=code)
        when = f"{day_short(first.starts_at)} {clock.local(first.starts_at):%H:%M}, {first.centre.name}"
        return t(key, code=code, time=when)
    return t(key, code=code)


def phone_display(e164: str) -> str:
    """A number as agents write it: German numbers nationally (0521 123456), others internationally."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    style = phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 49 else \
        phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)


def _agent_names(s: Session, entries) -> dict[int, str]:
    actors = [e if isinstance(e, str) else e.actor for e in entries]
    ids = {int(a.split(":", 1)[1]) for a in actors if a and a.startswith("agent:") and a.split(":", 1)[1].isdigit()}
    if not ids:
        return {}
    return {uid: name or username for uid, name, username in
            s.execute(select(User.id, User.display_name, User.username).where(User.id.in_(ids)))}


def _slots(s: Session, entries: list[AuditEntry]) -> dict[int, Slot]:
    ids = {(e.after or {}).get("first_slot_id") for e in entries if e.entity == "booking"} - {None}
    return {slot.id: slot for slot in s.scalars(select(Slot).where(Slot.id.in_(ids)))} if ids else {}


_TWILIO_FAILURE = re.compile(r"(?P<state>[a-z-]+): (?P<code>\d+)")
MESSAGE_KINDS = ("confirmation", "reminder", "reminder_second", "reconfirm", "cancellation", "released", "rebooked",
                 "group_open")


def delivery_reason(error: str) -> str:
    """Twilio's reason for a failed message in words ('undelivered: 30006' -> the carrier takes no SMS)."""
    match = _TWILIO_FAILURE.fullmatch(error.strip())
    if match is None:
        return t("delivery.reason", reason=error)
    state, code = match["state"], match["code"]
    state_words = t(f"twilio_state.{state}") if state in TWILIO_STATES else state
    code_key = f"twilio_error.{code}"
    code_words = t(code_key) if code in TWILIO_CODES else ""
    return t("delivery.reason", reason=f"{state_words}{' – ' + code_words if code_words else ''} (Twilio {code})")


TWILIO_STATES = ("busy", "no-answer", "undelivered", "failed", "canceled")
TWILIO_CODES = ("30003", "30004", "30005", "30006", "30007", "30008", "21211", "21614")
