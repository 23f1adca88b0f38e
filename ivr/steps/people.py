"""People instead of the machine: the agent queue, callbacks, overload, notice when a group opens."""
from __future__ import annotations

from datetime import UTC, date, datetime, time

import voice_prompts as vp
from ivr.steps import Context, action
from shared_db import calls, clock
from shared_db.messages import outbox

NOTIFY_HOUR = time(9, 0)  # a group's opening is announced at nine in the morning, local time


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
    """An SMS (mobiles) or a callback on the morning the caller's group opens."""
    due = _morning_of(date.fromisoformat(ctx.data["opens"]))
    if how == "sms":
        outbox.add(ctx.session, kind="group_open", to_number=ctx.caller, body=vp.text(ctx.lang, "sms_group_open"),
                   language=ctx.lang, due_at=due)
        return "notify_sms_done"
    calls.request_callback(ctx.session, ctx.caller, ctx.lang, "group_open", place_at=ctx.now, not_before=due,
                           now=ctx.now)
    return "notify_callback_done"


def _morning_of(day: date) -> datetime:
    return datetime.combine(day, NOTIFY_HOUR, clock.zone()).astimezone(UTC)


@action("retry")
def retry(ctx: Context, _arg: str = "") -> str:
    """Back to the question the caller had trouble with."""
    return ctx.data.pop("retry_state", "main")
