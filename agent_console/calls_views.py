"""Agents' pages around calls: the live queue, "take next caller", callbacks, the agent's status."""
from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from agent_console import twilio_rest
from agent_console.blueprint import bp
from agent_console.helpers import flash_error, now, user_id, work
from agent_console.i18n import t
from shared_db.calls import callbacks as callback_requests
from shared_db.calls import queue as queue_entries
from shared_db.errors import LedgerError
from shared_db.models import CallbackRequest, User
from shared_db.people import mask_phone

STATUSES = ("ready", "busy")


@bp.route("/queue")
def queue():
    with work() as s:
        return render_template("console/queue.html", waiting=queue_entries.waiting(s, now()),
                               calls=queue_entries.current_calls(s, user_id()),
                               outcomes=queue_entries.CALL_OUTCOMES)


@bp.route("/queue.json")
def queue_json():
    """The waiting callers for the queue page's short polling (numbers masked)."""
    with work() as s:
        rows = queue_entries.waiting(s, now())
        return jsonify(count=len(rows), longest=rows[0].wait_seconds if rows else 0,
                       waiting=[{"position": w.position, "number": mask_phone(w.entry.from_number),
                                 "language": w.entry.language, "language_name": _language_name(w.entry.language),
                                 "wait": w.wait_seconds} for w in rows[:50]])


def _language_name(code: str) -> str:
    return t(f"language.{code}") if code in ("de", "en", "tr") else code


@bp.route("/queue/take", methods=["POST"])
def take_next():
    """Connect the longest-waiting caller to this agent by redirecting the caller's call to a <Dial>."""
    with work() as s:
        entry = queue_entries.take_next(s, user_id(), now())
        if entry is None:
            flash(t("queue.empty"), "ok")
            return redirect(url_for("console.queue"))
        entry_id, call_sid = entry.id, entry.call_sid
    try:
        twilio_rest.redirect_call(call_sid, "console.twiml_connect", entry_id=entry_id)
    except twilio_rest.CallFailed as exc:
        with work() as s:
            queue_entries.redirect_failed(s, entry_id, user_id(), exc.gone)
        flash_error(t("queue.caller_gone") if exc.gone else t("queue.twilio_failed"))
        return redirect(url_for("console.queue"))
    with work() as s:
        s.get(User, user_id()).status = "busy"
    flash(t("queue.connected"), "ok")
    _standin_note("demo.standin_connect")
    return redirect(url_for("console.queue"))


def _standin_note(key: str) -> None:
    """In the demo, say plainly that Twilio's stand-in answered and nothing rang."""
    if current_app.config.get("TWILIO_STANDIN"):
        flash(t(key), "ok")


@bp.route("/queue/<int:entry_id>/outcome", methods=["POST"])
def call_outcome(entry_id: int):
    if request.form.get("outcome", "") not in queue_entries.CALL_OUTCOMES:
        flash_error(t("outcome.missing"))  # no default: a careless save must not record an outcome
        return redirect(url_for("console.queue"))
    try:
        with work() as s:
            queue_entries.record_call_outcome(s, entry_id, user_id(), request.form.get("outcome", ""),
                                              request.form.get("note", ""))
            s.get(User, user_id()).status = "ready"
        flash(t("queue.outcome_saved"), "ok")
    except LedgerError:
        flash_error(t("error.generic"))
    return redirect(url_for("console.queue"))


@bp.route("/status", methods=["POST"])
def set_status():
    """Ready or busy (on a call, on a break): what the wallboard shows for this agent."""
    status = request.form.get("status", "")
    if status not in STATUSES:
        abort(400)
    with work() as s:
        s.get(User, user_id()).status = status
    back = request.form.get("back", "")
    return redirect(back if back.startswith("/console/") else url_for("console.home"))


# --------------------------------------------------------------------------- callbacks


@bp.route("/callbacks")
def callbacks():
    with work() as s:
        return render_template("console/callbacks.html", rows=callback_requests.listing(s, now()), at=now(),
                               outcomes=callback_requests.OUTCOMES, me=user_id())


@bp.route("/callbacks/next", methods=["POST"])
def claim_next_callback():
    with work() as s:
        row = callback_requests.claim_next(s, user_id(), now())
    flash(t("callbacks.claimed") if row else t("callbacks.none"), "ok")
    return redirect(url_for("console.callbacks") + (f"#cb-{row.id}" if row else ""))


@bp.route("/callbacks/<int:request_id>/claim", methods=["POST"])
def claim_callback(request_id: int):
    with work() as s:
        won = callback_requests.claim(s, request_id, user_id(), now())
    flash(t("callbacks.claimed"), "ok") if won else flash_error(t("callbacks.taken"))
    return redirect(url_for("console.callbacks") + f"#cb-{request_id}")


@bp.route("/callbacks/<int:request_id>/call", methods=["POST"])
def call_callback(request_id: int):
    """Click-to-call: ring the agent's phone and bridge to the number that asked for a callback."""
    with work() as s:
        row = s.get(CallbackRequest, request_id)
        if row is None or row.claimed_by != user_id():
            abort(409)
    return _ring(("callback", request_id), url_for("console.callbacks") + f"#cb-{request_id}")


def _ring(target: tuple[str, int], back: str):
    if not current_user.phone:
        flash_error(t("call.no_agent_phone"))
        return redirect(back)
    try:
        twilio_rest.ring_agent(current_user.phone, "console.twiml_bridge", kind=target[0], target_id=target[1])
        flash(t("call.ringing"), "ok")
        _standin_note("demo.standin_ring")
    except twilio_rest.CallFailed:
        flash_error(t("queue.twilio_failed"))
    return redirect(back)


@bp.route("/callbacks/<int:request_id>/outcome", methods=["POST"])
def callback_outcome(request_id: int):
    if request.form.get("outcome", "") not in callback_requests.OUTCOMES:
        flash_error(t("outcome.missing"))  # no default: a careless save must not record the best outcome
        return redirect(url_for("console.callbacks") + f"#cb-{request_id}")
    try:
        with work() as s:
            callback_requests.record_outcome(s, request_id, user_id(), request.form.get("outcome", ""), now(),
                                             request.form.get("note", "").strip())
        flash(t("callbacks.saved"), "ok")
    except LedgerError:
        flash_error(t("callbacks.not_yours"))
    return redirect(url_for("console.callbacks"))


bp.add_app_template_filter(lambda seconds: f"{int(seconds) // 60}:{int(seconds) % 60:02d}", "mmss")
