"""The call engine: load the call, replay a repeated request, step the tree, render, store the answer.

A request is identified by (CallSid, step number, input). The call's row is
locked for the whole step, so a Twilio retry or a double post waits for the
first copy and then gets the stored answer: nothing is booked twice and no
step is skipped. A stale request (an older step) gets the current answer.
"""
from __future__ import annotations

import copy
from datetime import datetime

from sqlalchemy.orm import Session

from ivr import flow
from ivr.inputs import digits_from, matches, say_birth, say_code, say_day, say_when
from ivr.steps import ACTIONS, CONDITIONS, HANDLERS, Context, Retry, load_all
from ivr.twiml import Turn, Urls, render
from shared_db import calls
from shared_db.errors import InvalidInput
from shared_db.ledger import changes
from shared_db.people import normalise_phone
from shared_db.policy import Policy

MAX_HOPS = 12  # actions chained in one request; more means a loop in the tree
MAX_DIGITS, MAX_SPEECH = 40, 300
# Call data kept after the call ends: no name, birth date or postcode, only what later callbacks need.
KEEP_AFTER_CALL = ("lang", "person_id")

load_all()


def caller_number(raw: str | None) -> str | None:
    """The caller's number in E.164, or None for withheld numbers, SIP clients and junk."""
    try:
        return normalise_phone(raw or "")
    except InvalidInput:
        return None


def answer_call(session: Session, params: dict, policy: Policy, now: datetime) -> str:
    """First request of a call: greet and ask for the language; a repeat gets the same answer."""
    sid = params.get("CallSid", "")[:40]
    call = calls.lock_call(session, sid)
    if call is None:
        call = calls.start_call(session, sid, caller_number(params.get("From")), flow.START, "de", now)
        if call is None:  # a concurrent copy of this request created it: wait for it and replay
            call = calls.lock_call(session, sid)
    if call.last_response:
        return call.last_response
    ctx = Context(session, call, {"lang": "de"}, now, policy)
    return _finish(ctx, flow.START, calls.request_key("voice", sid))


def step_call(session: Session, params: dict, n: int | None, lang: str, policy: Policy, now: datetime) -> str:
    """A later request (a Gather's answer or a Redirect): advance the tree by one step."""
    sid = params.get("CallSid", "")[:40]
    digits = (params.get("Digits") or "").strip()[:MAX_DIGITS]
    speech = (params.get("SpeechResult") or "").strip()[:MAX_SPEECH]
    call = calls.lock_call(session, sid)
    if call is None:  # state lost (purged, or a call that began elsewhere): start at the main menu
        call = calls.start_call(session, sid, caller_number(params.get("From")), flow.HOME, lang, now) \
            or calls.lock_call(session, sid)
        ctx = Context(session, call, {"lang": lang}, now, policy)
        return _finish(ctx, flow.HOME, calls.request_key("lost", sid))
    key = calls.request_key(sid, n, digits, speech)
    if call.last_response and (key == call.last_request_key or n != call.step):
        return call.last_response
    # A deep copy: nested values changed in place would look unchanged to SQLAlchemy and not be saved.
    ctx = Context(session, call, copy.deepcopy(call.data or {}), now, policy)
    ctx.data.setdefault("lang", call.language or lang)
    return _finish(ctx, resolve(ctx, advance(ctx, call.state, digits, speech)), key)


def _finish(ctx: Context, state: str, key: str) -> str:
    xml = render_state(ctx, state, ctx.call.state, ctx.call.step + 1)
    calls.save_turn(ctx.call, state=state, data=ctx.data, key=key, response=xml, now=ctx.now)
    return xml


# --------------------------------------------------------------------------- the tree


def visible_options(ctx: Context, node: flow.Node) -> tuple[flow.Option, ...]:
    """The node's options whose condition holds for this call."""
    return tuple(o for o in node.options if not o.when or CONDITIONS[o.when](ctx))


def advance(ctx: Context, state: str, digits: str, speech: str) -> str:
    """The target the caller's input leads to from `state`."""
    node = flow.node(state)
    if flow.REPEAT_KEY in digits or (not digits and matches(speech, ctx.lang, "repeat")):
        return state
    if not digits and not speech:
        return node.timeout_target or _failure(ctx, state, "no_input")
    if node.kind == "menu":
        return _choose(ctx, state, node, digits, speech)
    if digits == flow.AGENT_KEY or (not digits and matches(speech, ctx.lang, "agent")):
        return "@agent"
    try:
        target = HANDLERS[node.handler](ctx, digits, speech)
    except Retry as retry:
        return _failure(ctx, retry.state or state, retry.prompt, **retry.values)
    ctx.data["fails"] = 0
    return target


def _choose(ctx: Context, state: str, node: flow.Node, digits: str, speech: str) -> str:
    options = visible_options(ctx, node)
    key = digits[:1] if digits else _spoken_key(ctx, options, speech)
    option = flow.find_option(options, key)
    if option is None and key == flow.AGENT_KEY:
        return "@agent"
    if option is None or len(digits) > 1:
        return _failure(ctx, state, "not_understood")
    ctx.data["fails"] = 0
    return option.target


def _spoken_key(ctx: Context, options, speech: str) -> str:
    """The key a spoken answer means: a number ("zwei"), or an option's words ("ja")."""
    said = digits_from(None, speech, ctx.lang)
    if len(said) == 1:
        return said
    for option in options:
        if option.speech and matches(speech, ctx.lang, option.speech):
            return option.key
    return flow.AGENT_KEY if matches(speech, ctx.lang, "agent") else ""


def _failure(ctx: Context, state: str, prompt: str, **values) -> str:
    """A kind reprompt; after the second failure in a row, offer a person."""
    fails = ctx.data.get("fails", 0) + 1
    ctx.note(prompt, **values)
    if fails < flow.MAX_FAILURES:
        ctx.data["fails"] = fails
        return state
    ctx.data["fails"] = 0
    if state != "agent_offer":
        ctx.data["retry_state"] = state
    return "agent_offer"


def resolve(ctx: Context, target: str) -> str:
    """Run "@action" targets until one names a state."""
    for _ in range(MAX_HOPS):
        if not target.startswith("@"):
            return target if target in flow.NODES else flow.HOME
        name, _, arg = target[1:].partition(":")
        target = ACTIONS[name](ctx, arg)
    raise RuntimeError(f"the phone tree loops at {target}")


# --------------------------------------------------------------------------- rendering


def render_state(ctx: Context, state: str, previous: str, n: int) -> str:
    """The TwiML of a state for this call, with the step number in every URL Twilio will post to."""
    node, lang, sid = flow.node(state), ctx.lang, ctx.call.call_sid
    recording = f"name-{sid}"
    turn = Turn(lang, node, values(ctx.data, lang), visible_options(ctx, node), ctx.preamble,
                start_recording=recording if node.record and previous != state else "",
                stop_recording=recording if flow.node(previous).record and not node.record else "")
    return render(turn, Urls(action=f"/ivr/step?n={n}&l={lang}")).to_xml()


def values(data: dict, lang: str) -> dict:
    """The placeholders a prompt may use, formatted for the caller's language."""
    out = {"name": data.get("name", ""), "place": data.get("place", ""), "centre": data.get("suggest_name", ""),
           "minutes": data.get("minutes", 3)}
    if data.get("dob"):
        out["birth"] = say_birth(data["dob"], lang)
    if data.get("opens"):
        out["opens"] = say_day(data["opens"], lang)
    appt = data.get("appt")
    if appt:
        out.update(first=say_when(appt["first"], appt["tz"], lang), centre=appt["centre"],
                   vaccine=appt.get("vaccine", ""),
                   second=say_when(appt["second"], appt["tz"], lang) if appt.get("second") else "",
                   code=say_code(appt["code"]) if appt.get("code") else "", sms=appt.get("sms", False))
    new = data.get("new")
    if new:
        out.update(new_first=say_when(new["first"], new["tz"], lang),
                   new_second=say_when(new["second"], new["tz"], lang) if new.get("second") else "")
    return out


# --------------------------------------------------------------------------- the end of a call


def call_ended(session: Session, params: dict, now: datetime) -> None:
    """Status callback: note the end; a hold still open is released at once, a waiting caller abandoned."""
    sid = params.get("CallSid", "")[:40]
    call = calls.lock_call(session, sid)
    if call is None:
        return
    calls.end_call(call, params.get("CallStatus") or "completed", now)
    hold_id = (call.data or {}).get("hold_id")
    if hold_id:
        changes.release_hold(session, hold_id, actor=f"call:{sid}", reason="caller hung up", now=now)
    # Data minimisation: what the caller told us is not needed once the call is over.
    call.data = {k: v for k, v in (call.data or {}).items() if k in KEEP_AFTER_CALL}
    call.last_response = None
    calls.leave_queue(session, sid, "abandoned", now)


def keep_recording(session: Session, params: dict) -> None:
    """Recording callback: keep the URL of the spoken name for the agents (never the audio itself)."""
    if params.get("RecordingStatus", "completed") != "completed" or not params.get("RecordingUrl"):
        return
    call = calls.lock_call(session, params.get("CallSid", "")[:40])
    if call is None:
        return
    if call.ended_at is None:  # still booking: confirm() will put it on the person
        call.data = {**(call.data or {}), "recording": params["RecordingUrl"][:300]}
    person_id = (call.data or {}).get("person_id")
    if person_id:
        from shared_db.models import Person

        person = session.get(Person, person_id)
        if person is not None:
            person.name_recording_url = params["RecordingUrl"][:300]

