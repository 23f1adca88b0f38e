"""Booking by phone: date of birth, eligibility questions, centre, offer with a hold, name, confirm."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

import voice_prompts as vp
from ivr.area_codes import place_of
from ivr.inputs import clean_name, digits_from, parse_birth_date
from ivr.steps import Context, Retry, action, handler
from shared_db import clock
from shared_db import ledger as booking
from shared_db.errors import (
    CallerLimitReached,
    HoldExpired,
    InvalidInput,
    InvitationInvalid,
    InvitationNotYours,
    InvitationUsed,
    NeedsAgent,
    PersonAlreadyBooked,
    SlotUnavailable,
)
from shared_db.ledger import changes
from shared_db.ledger.pairing import find_offers
from shared_db.models import Centre, CentrePostcode, Slot, Vaccine
from shared_db.people import PersonDetails, is_mobile, name_key
from shared_db.people.eligibility import QUESTIONS, TO_VERIFY, Facts, assess, load_rules
from shared_db.people.invitations import facts_for

# Everything a booking attempt keeps in the call data; cleared when the caller starts again.
BOOKING_KEYS = ("dob", "facts", "vaccines", "allowed", "group", "opens", "suggested", "place", "suggest_name",
                "postcode", "home", "centres", "centre_idx", "skipped", "appt", "name", "recording", "invitation_id",
                "invited_groups", "invited_name", "verification", "vaccine_choice", "waiting_group")


def release_hold(ctx: Context) -> None:
    """Give back the place held for this caller (they moved on, or hung up)."""
    hold_id = ctx.data.pop("hold_id", None)
    if hold_id is None:
        return
    changes.release_hold(ctx.session, hold_id, actor=ctx.actor, reason="released by the IVR", now=ctx.now)


# --------------------------------------------------------------------------- who and eligible?


@action("language")
def choose_language(ctx: Context, lang: str) -> str:
    ctx.data["lang"] = lang if lang in vp.LANGUAGES else vp.DEFAULT_LANGUAGE
    return "main"


@action("start_booking")
def start_booking(ctx: Context, _arg: str = "") -> str:
    release_hold(ctx)
    for key in BOOKING_KEYS:
        ctx.data.pop(key, None)
    return "dob"


@handler("dob")
def read_birth_date(ctx: Context, keys: str, speech: str) -> str:
    born = parse_birth_date(keys, speech, ctx.lang, clock.today(ctx.now))
    if born is None:
        raise Retry("dob_invalid")
    ctx.data.update(dob=born.isoformat(), facts={})
    return "dob_confirm"


@action("assess")
def assess_caller(ctx: Context, _arg: str = "") -> str:
    """Eligible: on to the centre. Otherwise the next question the rules still need, or when they open."""
    facts = ctx.data.get("facts", {})
    result = assess(Facts(date.fromisoformat(ctx.data["dob"]), **{q: facts.get(q) for q in QUESTIONS},
                          invited_groups=frozenset(ctx.data.get("invited_groups", ()))),
                    load_rules(ctx.session), clock.today(ctx.now), channel="phone")
    if result.eligible:
        ctx.data.update(vaccines=list(result.vaccines), group=result.group, verification=result.verification,
                        allowed=None if result.centre_ids is None else sorted(result.centre_ids))
        return "@where"
    if result.questions:
        return "q_" + result.questions[0]
    if result.opens_on:
        ctx.data.update(opens=result.opens_on.isoformat(), waiting_group=result.group)
        return "not_yet"
    return "not_eligible"


@action("answer")
def answer_question(ctx: Context, arg: str) -> str:
    question, answer = arg.split(":")
    ctx.data.setdefault("facts", {})[question] = answer == "yes"
    return "@assess"


@handler("invitation")
def read_invitation(ctx: Context, keys: str, speech: str) -> str:
    """The caller's personal code: it must be listed for this birth date; a forwarded one is refused kindly."""
    code = digits_from(keys, speech, ctx.lang)
    facts = ctx.data.setdefault("facts", {})
    if not code:
        facts["invitation"] = False
        return "@assess"
    try:
        _facts, invitation = facts_for(ctx.session, date_of_birth=date.fromisoformat(ctx.data["dob"]), code=code)
    except InvitationInvalid:
        raise Retry("invitation_invalid") from None
    except InvitationNotYours:
        raise Retry("invitation_not_yours") from None
    except InvitationUsed:
        ctx.note("invitation_used")
        facts["invitation"] = False
        return "@assess"
    facts["invitation"] = True
    ctx.data.update(invitation_id=invitation.id, invited_groups=sorted(_facts.invited_groups),
                    invited_name=invitation.name_key)
    return "@assess"


# --------------------------------------------------------------------------- where


@action("where")
def suggest_centre(ctx: Context, _arg: str = "") -> str:
    """Suggest the centre of the place the caller's area code belongs to, else ask for the postcode."""
    place = place_of(ctx.caller)
    centre = _centre_in(ctx, place) if place else None
    if centre is None:
        return "postcode"
    ctx.data.update(suggested=centre.id, place=place, suggest_name=centre.name)
    return "centre_suggest"


def _centre_in(ctx: Context, place: str) -> Centre | None:
    allowed = ctx.data.get("allowed")
    for column in (Centre.city, Centre.district):
        query = select(Centre).where(func.lower(column) == place.lower(), Centre.active.is_(True))
        for centre in ctx.session.scalars(query.order_by(Centre.id)):
            if allowed is None or centre.id in allowed:
                return centre
    return None


@action("use_suggested")
def use_suggested(ctx: Context, _arg: str = "") -> str:
    ctx.data["home"] = ctx.data["suggested"]
    return "@search"


@handler("postcode")
def read_postcode(ctx: Context, keys: str, speech: str) -> str:
    postcode = digits_from(keys, speech, ctx.lang)
    centre_id = None
    if len(postcode) == 5:
        centre_id = ctx.session.scalar(select(CentrePostcode.centre_id).join(Centre).where(
            CentrePostcode.postcode == postcode, Centre.active.is_(True)).order_by(Centre.id).limit(1))
    if centre_id is None:
        raise Retry("postcode_unknown")
    ctx.data.update(postcode=postcode, home=centre_id)
    return "@search"


@action("search")
def search_centres(ctx: Context, _arg: str = "") -> str:
    """The home centre first, then the centres of its neighbouring districts."""
    home = ctx.session.get(Centre, ctx.data["home"])
    neighbours = ctx.session.scalars(select(Centre.id).where(
        Centre.district.in_(home.neighbour_districts or []), Centre.active.is_(True), Centre.id != home.id)
        .order_by(Centre.id))
    ids = [home.id, *neighbours]
    allowed = ctx.data.get("allowed")
    ctx.data.update(centres=[i for i in ids if allowed is None or i in allowed],
                    centre_idx=0, skipped=[])
    return "@offer_next"


# --------------------------------------------------------------------------- when: offers held while the caller decides


@action("offer_next")
def offer_next(ctx: Context, _arg: str = "") -> str:
    """Hold the earliest bookable pair, from the current centre on; say so when it is a neighbour's."""
    release_hold(ctx)
    ids, start, home = ctx.data.get("centres", []), ctx.data.get("centre_idx", 0), ctx.data.get("home")
    before = (ctx.data.get("appt") or {}).get("vaccine")
    home_empty = False
    for step in range(len(ids)):
        idx = (start + step) % len(ids)
        if _hold_first_offer(ctx, ids[idx]):
            if ids[idx] != home:
                _tell_neighbour(ctx, home, ids[idx], home_empty)
            if before and ctx.data["appt"]["vaccine"] != before:  # another centre may mean another vaccine
                ctx.note("vaccine_changes", vaccine=ctx.data["appt"]["vaccine"], previous=before)
            ctx.data["centre_idx"] = idx
            return "offer"
        home_empty = home_empty or ids[idx] == home
        if step == 0 and ids[idx] != home:
            ctx.note("no_more_slots")
    ctx.data.pop("appt", None)
    return "sold_out"


def _tell_neighbour(ctx: Context, home_id: int, there_id: int, home_empty: bool) -> None:
    home, there = ctx.session.get(Centre, home_id), ctx.session.get(Centre, there_id)
    if home_empty:
        ctx.note("home_sold_out", home=home.name)
    if there.district != home.district:
        ctx.note("neighbour_notice", district=there.district)


def _hold_first_offer(ctx: Context, centre_id: int) -> bool:
    """Hold the first offer at a centre that the caller has not passed over; False if none."""
    skipped = ctx.data.setdefault("skipped", [])
    codes = [ctx.data["vaccine_choice"]] if ctx.data.get("vaccine_choice") else ctx.data["vaccines"]
    vaccine_ids = list(ctx.session.scalars(select(Vaccine.id).where(Vaccine.code.in_(codes))))
    for _attempt in range(5):
        offers = find_offers(ctx.session, centre_ids=[centre_id], channel="phone", now=ctx.now,
                             vaccine_ids=vaccine_ids, limit=len(skipped) + 1)
        offer = next((o for o in offers if o.first.id not in skipped), None)
        if offer is None:
            return False
        try:
            with ctx.session.begin_nested():  # a half-taken pair is rolled back whole
                held = changes.hold_offer(ctx.session, first_slot_id=offer.first.id, second_slot_id=offer.ids[1],
                                          channel="phone", actor=ctx.actor, caller_number=ctx.caller, now=ctx.now,
                                          policy=ctx.policy)
        except SlotUnavailable:  # taken by someone else a moment ago
            skipped.append(offer.first.id)
            continue
        ctx.data.update(hold_id=held.id, appt=describe(offer.first, offer.second),
                        minutes=max(1, ctx.policy.hold_seconds // 60))
        return True
    return False


def describe(first: Slot, second: Slot | None, code: str | None = None) -> dict:
    """What the caller is told about an appointment, as plain JSON for the call data."""
    return {"first": first.starts_at.isoformat(), "second": second.starts_at.isoformat() if second else None,
            "tz": first.centre.timezone, "centre": first.centre.name, "first_id": first.id, "code": code,
            "vaccine": spoken_vaccine(first.vaccine), "vaccine_code": first.vaccine.code}


def spoken_vaccine(vaccine: Vaccine) -> str:
    """The vaccine's name as said on the phone ("BioNTech/Pfizer (Comirnaty)" -> "BioNTech Pfizer, Comirnaty")."""
    return vaccine.name.replace("/", " ").replace(" (", ", ").replace(")", "")


@action("next_slot")
def next_slot(ctx: Context, _arg: str = "") -> str:
    ctx.data.setdefault("skipped", []).append(ctx.data.get("appt", {}).get("first_id"))
    return "@offer_next"


@action("other_vaccine")
def other_vaccine(ctx: Context, _arg: str = "") -> str:
    """The next vaccine the rules allow this caller, at any of their centres; the same offer when there is none."""
    allowed = ctx.data.get("vaccines", [])
    current = (ctx.data.get("appt") or {}).get("vaccine_code")
    ctx.data["vaccine_choice"] = allowed[(allowed.index(current) + 1) % len(allowed)] if current in allowed else None
    ctx.data.update(centre_idx=0, skipped=[])
    if offer_next(ctx) == "offer":
        return "offer"
    ctx.note("no_other_vaccine")
    ctx.data["vaccine_choice"] = None
    return "@offer_next"


@action("other_centre")
def other_centre(ctx: Context, _arg: str = "") -> str:
    ctx.data["centre_idx"] = (ctx.data.get("centre_idx", 0) + 1) % max(1, len(ctx.data.get("centres", [])))
    return "@offer_next"


# --------------------------------------------------------------------------- name and confirmation


@handler("name")
def read_name(ctx: Context, keys: str, speech: str) -> str:
    name = clean_name(speech)
    if len(name) < 2:
        raise Retry("name_missing")
    ctx.data["name"] = name
    return "name_confirm"


@action("confirm_booking")
def confirm_booking(ctx: Context, _arg: str = "") -> str:
    """Turn the hold into a booking; SMS to mobiles through the outbox, in the same transaction."""
    if ctx.data.get("hold_id") is None:
        return "@offer_next"
    try:
        with ctx.session.begin_nested():
            # Landline callers heard it all read back and get no SMS: nothing to announce to them.
            done = changes.confirm_hold(ctx.session, ctx.data["hold_id"], details=_details(ctx), actor=ctx.actor,
                                        now=ctx.now, policy=ctx.policy, announce=is_mobile(ctx.caller),
                                        verification=_verification(ctx), invitation_id=ctx.data.get("invitation_id"))
    except HoldExpired:
        booking.release_expired_holds(ctx.session, ctx.now, slot_id=ctx.data["appt"]["first_id"])
        ctx.data.pop("hold_id")
        ctx.note("hold_expired")
        return "@offer_next"
    except PersonAlreadyBooked:
        release_hold(ctx)
        return "already_booked"
    except CallerLimitReached:
        release_hold(ctx)
        return "caller_limit"
    except InvitationUsed:  # another booking took the code a moment ago
        release_hold(ctx)
        ctx.note("invitation_used")
        return "not_eligible"
    except NeedsAgent:
        release_hold(ctx)
        return "needs_agent"
    except InvalidInput:
        raise Retry("name_missing", state="name") from None
    sms = is_mobile(ctx.caller)  # the SMS is an outbox row of this transaction, sent after the commit
    ctx.data.pop("hold_id")
    ctx.data["appt"].update(code=done.code, sms=sms)
    ctx.data["person_id"] = done.person_id
    return "booked"


def _verification(ctx: Context) -> str | None:
    """As assessed; a code used under a name speech recognition heard differently is left to supervisors to check.

    On the phone the code is bound to the birth date typed on the keypad; the spoken name is too unreliable
    to refuse on, so a mismatch books "to be verified" rather than turning the invited person away.
    """
    listed = ctx.data.get("invited_name")
    if listed and name_key(ctx.data.get("name", "")) != listed:
        return TO_VERIFY
    return ctx.data.get("verification")


def _details(ctx: Context) -> PersonDetails:
    return PersonDetails(name=ctx.data["name"], date_of_birth=date.fromisoformat(ctx.data["dob"]),
                         postcode=ctx.data.get("postcode"), phone=ctx.caller if is_mobile(ctx.caller) else None,
                         language=ctx.lang, priority_group=ctx.data.get("group"),
                         name_recording_url=ctx.data.get("recording"))
