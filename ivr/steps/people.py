"""People instead of the machine: the agent queue, callbacks, overload, notice when a group opens."""
from __future__ import annotations

from datetime import date

from ivr.steps import Context, action
from shared_db import calls
from shared_db.people import notices


@action("agent")
def to_agent(ctx: Context, _arg: str = "") -> str:
    """Queue for an agent, or offer a callback when the queue is overloaded (never a busy signal)."""
    if ctx.caller and calls.overloaded(ctx.session, ctx.now):
        return "overload"
    calls.enqueue(ctx.session, ctx.call.call_sid, ctx.caller, ctx.lang, ctx.now)
    return "queue"


@action("callback")
def callback(ctx: Context, _arg: str = "") -> str:
    """A callback keeps the place the caller got when the call began; duplicates are merged."""
    if not ctx.caller:
        ctx.note("callback_no_number")
        calls.enqueue(ctx.session, ctx.call.call_sid, None, ctx.lang, ctx.now)
        return "queue"
    reason = "overload" if ctx.call.state == "overload" else "request"
    calls.request_callback(ctx.session, ctx.caller, ctx.lang, reason, place_at=ctx.call.started_at, now=ctx.now)
    return "callback_done"


@action("notify")
def notify_when_open(ctx: Context, how: str) -> str:
    """An SMS (mobiles) or a callback when the caller's group opens: it follows the rule's opening date."""
    notices.ask(ctx.session, group=ctx.data["waiting_group"], date_of_birth=date.fromisoformat(ctx.data["dob"]),
                channel="sms" if how == "sms" else "callback", phone=ctx.caller, language=ctx.lang, now=ctx.now)
    return "notify_sms_done" if how == "sms" else "notify_callback_done"


@action("retry")
def retry(ctx: Context, _arg: str = "") -> str:
    """Back to the question the caller had trouble with."""
    return ctx.data.pop("retry_state", "main")
