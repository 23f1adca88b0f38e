"""Check-in at the centre: today's appointments, a dose given with its batch, turned away, a no-show reopened.

Centre staff (role `centre`) see only their own centre and nothing else of the
console; supervisors pick any centre. Keyboard-first: the search field has the
focus, Enter on a row's batch field records the dose, and the batch last used for
a vaccine is filled in again (a vial serves several people).
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask import session as cookie
from flask_login import current_user
from sqlalchemy import select

from agent_console.blueprint import bp
from agent_console.helpers import actor, flash_error, now, work
from agent_console.i18n import t
from shared_db.errors import InvalidInput, LedgerError
from shared_db.ledger import changes
from shared_db.models import Booking, Centre
from shared_db.operations import centre_day

CENTRE_ENDPOINTS = {"console.checkin", "console.checkin_give", "console.checkin_turn_away",
                    "console.checkin_reopen"}


def _centre_id() -> int:
    """Centre staff: their own centre; supervisors: the one they chose (403 for agents)."""
    if current_user.role == "centre":
        return int(current_user.centre_id)
    if not current_user.is_supervisor:
        abort(403)
    chosen = request.values.get("centre_id", "")
    return int(chosen) if chosen.isdigit() else 0


def _back(centre_id: int, query: str = ""):
    params = {"q": query} if query else {}
    if current_user.role != "centre":
        params["centre_id"] = centre_id
    return redirect(url_for("console.checkin", **params))


@bp.route("/centre")
def checkin():
    centre_id, query = _centre_id(), request.args.get("q", "")
    with work() as s:
        centres = [] if current_user.role == "centre" else list(s.scalars(select(Centre).order_by(Centre.name)))
        centre = s.get(Centre, centre_id) if centre_id else (centres[0] if centres else None)
        if centre is None:
            abort(404)
        day = centre_day.centre_today(centre, now())
        rows = centre_day.appointments(s, centre, day, query)
        return render_template("console/checkin.html", centre=centre, centres=centres, day=day, rows=rows, q=query,
                               batches=cookie.get("checkin_batches", {}))


def _own_booking(s, booking_id: int) -> Booking:
    """The booking, if its dose of today is at a centre this user may check in at."""
    booking = s.get(Booking, booking_id)
    if booking is None:
        abort(404)
    centre_ids = {booking.first_slot.centre_id} | ({booking.second_slot.centre_id} if booking.second_slot else set())
    if current_user.role == "centre" and int(current_user.centre_id) not in centre_ids:
        abort(403)
    return booking


@bp.route("/centre/bookings/<int:booking_id>/given", methods=["POST"])
def checkin_give(booking_id: int):
    centre_id, dose, batch = _centre_id(), request.form.get("dose", ""), request.form.get("batch", "")
    try:
        with work() as s:
            booking = _own_booking(s, booking_id)
            vaccine = booking.first_slot.vaccine.code
            done = changes.give_dose(s, booking_id, dose=dose, batch=batch, actor=actor(), now=now())
            code, finished = done.code, done.status == "completed"
        cookie["checkin_batches"] = {**cookie.get("checkin_batches", {}), vaccine: batch.strip().upper()}
        flash(t("checkin.completed" if finished else "checkin.first_given", code=code), "ok")
    except InvalidInput:
        flash_error(t("checkin.need_batch"))
    except LedgerError as exc:
        flash_error(t("checkin.refused", reason=str(exc)))
    return _back(centre_id)


@bp.route("/centre/bookings/<int:booking_id>/turn-away", methods=["POST"])
def checkin_turn_away(booking_id: int):
    centre_id = _centre_id()
    try:
        with work() as s:
            _own_booking(s, booking_id)
            changes.turn_away(s, booking_id, reason=request.form.get("reason", ""), actor=actor(), now=now())
        flash(t("checkin.turned_away"), "ok")
    except InvalidInput:
        flash_error(t("checkin.need_reason"))
    except LedgerError as exc:
        flash_error(t("checkin.refused", reason=str(exc)))
    return _back(centre_id)


@bp.route("/centre/bookings/<int:booking_id>/reopen", methods=["POST"])
def checkin_reopen(booking_id: int):
    centre_id = _centre_id()
    try:
        with work() as s:
            _own_booking(s, booking_id)
            changes.reopen_no_show(s, booking_id, actor=actor(), reason=request.form.get("reason", "late"), now=now())
        flash(t("checkin.reopened"), "ok")
    except LedgerError as exc:
        key = "checkin.second_gone" if "second_dose_gone" in str(exc) else "checkin.refused"
        flash_error(t(key, reason=str(exc)))
    return _back(centre_id)

