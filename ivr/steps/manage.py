"""My appointment: find it by booking code and date of birth, then hear, move or cancel it."""
from __future__ import annotations

from ivr.inputs import digits_from, parse_birth_date
from ivr.steps import Context, Retry, action, handler
from ivr.steps.booking import describe
from shared_db import clock
from shared_db import ledger as booking
from shared_db.errors import BookingNotFound, SlotUnavailable
from shared_db.ledger import changes
from shared_db.ledger.codes import is_valid_code
from shared_db.ledger.pairing import find_offers
from shared_db.models import Booking
from shared_db.people import is_mobile


@handler("code")
def read_code(ctx: Context, keys: str, speech: str) -> str:
    code = digits_from(keys, speech, ctx.lang)
    if not is_valid_code(code):  # the check digit catches a mistyped or swapped digit at once
        raise Retry("code_invalid")
    ctx.data["code"] = code
    return "code_dob"


@handler("manage_dob")
def read_manage_birth_date(ctx: Context, keys: str, speech: str) -> str:
    born = parse_birth_date(keys, speech, ctx.lang, clock.today(ctx.now))
    if born is None:
        raise Retry("dob_invalid")
    try:
        found = booking.find_by_code(ctx.session, ctx.data.get("code", ""), born)
    except BookingNotFound:
        raise Retry("code_not_found", state="code") from None
    if found.status != "confirmed":
        raise Retry("code_not_found", state="code")
    ctx.data.update(manage_id=found.id, appt=describe(found.first_slot, found.second_slot, found.code))
    ctx.data.pop("new", None)
    return "manage"


def _booking(ctx: Context) -> Booking:
    return ctx.session.get(Booking, ctx.data["manage_id"])


@action("cancel")
def cancel_booking(ctx: Context, _arg: str = "") -> str:
    changes.cancel_booking(ctx.session, ctx.data["manage_id"], actor=ctx.actor, reason="cancelled by the caller",
                           now=ctx.now, announce=is_mobile(ctx.caller))
    return "cancelled"


@action("rebook_search")
def rebook_search(ctx: Context, _arg: str = "") -> str:
    ctx.data["rebook_skip"] = []
    ctx.data.pop("new", None)
    return "@rebook_next"


@action("rebook_next")
def rebook_next(ctx: Context, _arg: str = "") -> str:
    """The next phone-pool pair at the same centre with the same vaccine, other than the current one."""
    current = _booking(ctx)
    skip = ctx.data.setdefault("rebook_skip", [])
    if ctx.data.get("new"):
        skip.append(ctx.data["new"]["first_id"])
    offers = find_offers(ctx.session, centre_ids=[current.first_slot.centre_id], channel="phone", now=ctx.now,
                         vaccine_ids=[current.first_slot.vaccine_id], limit=len(skip) + 2)
    offer = next((o for o in offers if o.first.id not in skip and o.first.id != current.first_slot_id), None)
    if offer is None:
        ctx.data.pop("new", None)
        ctx.note("no_rebook_slots")
        return "manage"
    ctx.data["new"] = describe(offer.first, offer.second)
    ctx.data["new"]["second_id"] = offer.ids[1]
    return "rebook_offer"


@action("rebook")
def rebook(ctx: Context, _arg: str = "") -> str:
    new = ctx.data["new"]
    try:
        with ctx.session.begin_nested():
            done = changes.rebook_booking(ctx.session, ctx.data["manage_id"], first_slot_id=new["first_id"],
                                          second_slot_id=new["second_id"], actor=ctx.actor, channel="phone",
                                          now=ctx.now, reason="rebooked by the caller",
                                          announce=is_mobile(ctx.caller))
    except SlotUnavailable:
        ctx.note("slot_gone")
        return "@rebook_next"
    ctx.data["appt"] = describe(done.first_slot, done.second_slot, done.code)
    ctx.data.pop("new")
    return "rebooked"

