"""Agents' pages for filling freed places: task list, claim, candidates, call, outcome."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from agent_console.blueprint import bp
from agent_console.calls_views import _ring
from agent_console.helpers import flash_error, int_arg, now, policy, user_id, work
from agent_console.i18n import t
from shared_db.errors import LedgerError
from shared_db.messages import outbox
from shared_db.models import Booking, FreedCapacity
from shared_db.operations import claims, fill_tasks


@bp.route("/fill")
def fill_list():
    with work() as s:
        return render_template("console/fill.html", tasks=fill_tasks.list_tasks(s, now(), user_id()),
                               me=user_id(), at=now())


@bp.route("/fill/<int:task_id>")
def fill_task(task_id: int):
    with work() as s:
        task = s.get(FreedCapacity, task_id)
        if task is None:
            abort(404)
        mine = claims.holds_claim(task, user_id(), now())
        return render_template("console/fill_task.html", task=task, mine=mine,
                               candidates=fill_tasks.candidates(s, task, now()) if mine else [],
                               room=fill_tasks.slot_has_room(task.slot))


@bp.route("/fill/<int:task_id>/claim", methods=["POST"])
def fill_claim(task_id: int):
    with work() as s:
        won = fill_tasks.claim(s, task_id, user_id(), now())
    if not won:
        flash_error(t("fill.taken"))
        return redirect(url_for("console.fill_list"))
    return redirect(url_for("console.fill_task", task_id=task_id))


@bp.route("/fill/<int:task_id>/release", methods=["POST"])
def fill_release(task_id: int):
    with work() as s:
        fill_tasks.release(s, task_id, user_id())
    return redirect(url_for("console.fill_list"))


@bp.route("/fill/<int:task_id>/call", methods=["POST"])
def fill_call(task_id: int):
    """Click-to-call a candidate (a booking's person, a notify-list person or a callback number)."""
    kind = request.form.get("kind", "")
    if kind not in ("booking", "person", "callback"):
        abort(400)
    with work() as s:
        task = s.get(FreedCapacity, task_id)
        if task is None or not claims.holds_claim(task, user_id(), now()):
            abort(409)
    return _ring((kind, int_arg("target_id")), url_for("console.fill_task", task_id=task_id))


@bp.route("/fill/<int:task_id>/move-up")
def fill_move_up_confirm(task_id: int):
    """Say what moving a later booking onto the freed place does, and who is told, before doing it."""
    with work() as s:
        task = s.get(FreedCapacity, task_id)
        booking = s.get(Booking, int_arg("booking_id"))
        if task is None or booking is None:
            abort(404)
        if not claims.holds_claim(task, user_id(), now()):
            flash_error(t("fill.not_claimed"))
            return redirect(url_for("console.fill_list"))
        old_slot = booking.first_slot if task.slot.dose == "first" else (booking.second_slot or booking.first_slot)
        return render_template("console/move_up.html", task=task, b=booking, old_slot=old_slot,
                               told=outbox.recipient(booking))


@bp.route("/fill/<int:task_id>/outcome", methods=["POST"])
def fill_outcome(task_id: int):
    """moved_up (a later booking), booked (a notify-list person), or lapsed (nobody could come)."""
    outcome = request.form.get("outcome", "")
    try:
        with work() as s:
            if outcome == "moved_up":
                made = fill_tasks.move_up(s, task_id, int_arg("booking_id"), user_id(), now())
                message = t("fill.moved_up", code=made.code)
            elif outcome == "booked":
                made = fill_tasks.book_candidate(s, task_id, int_arg("person_id"), user_id(), now(), policy())
                message = t("book.done", code=made.code)
            elif outcome == "lapsed":
                if not request.form.get("note", "").strip():
                    flash_error(t("fill.need_lapse_note"))
                    return redirect(url_for("console.fill_task", task_id=task_id))
                fill_tasks.give_up(s, task_id, user_id(), now(), request.form.get("note", "").strip())
                message = t("fill.lapsed")
            else:
                abort(400)
    except LedgerError as exc:
        flash_error(t("error.ledger", code=exc.code))
        return redirect(url_for("console.fill_task", task_id=task_id))
    flash(message, "ok")
    return redirect(url_for("console.fill_list"))
