"""Supervisors' pages: live wallboard, phantom clean-up, daily CSV report, settings."""
from __future__ import annotations

from datetime import date

from flask import Response, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from agent_console.auth import supervisor_required
from agent_console.blueprint import bp
from agent_console.helpers import actor, flash_error, now, parse_date, today, work
from agent_console.i18n import t
from shared_db import settings
from shared_db.errors import InvalidInput, LedgerError
from shared_db.messages import outbox
from shared_db.models import Booking, Centre
from shared_db.operations import daily_report, phantoms, wallboard
from shared_db.people import contact


@bp.route("/supervisor/wallboard")
@supervisor_required
def wallboard_page():
    with work() as s:
        return render_template("console/wallboard.html", data=wallboard.snapshot(s, now()),
                               today=today().isoformat())


@bp.route("/supervisor/wallboard.json")
@supervisor_required
def wallboard_json():
    """The wallboard's figures, fetched by the page every few seconds (short polling)."""
    with work() as s:
        response = jsonify(wallboard.snapshot(s, now()))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/supervisor/phantoms")
@supervisor_required
def phantoms_page():
    with work() as s:
        return render_template("console/phantoms.html", suspects=phantoms.find(s, now()))


@bp.route("/supervisor/phantoms/confirm", methods=["POST"])
@supervisor_required
def phantoms_confirm():
    """Show which bookings a bulk cancel will end and who is told, before anything happens."""
    ids = [int(v) for v in request.form.getlist("booking_id") if v.isdigit()]
    reason = request.form.get("reason", "").strip()
    if not ids or not reason:
        flash_error(t("phantoms.need_selection") if not ids else t("phantoms.need_reason"))
        return redirect(url_for("console.phantoms_page"))
    with work() as s:
        chosen = list(s.scalars(select(Booking).where(Booking.id.in_(ids)).order_by(Booking.id)))
        rows = [(b, outbox.recipient(b)) for b in chosen]
        return render_template("console/phantoms_confirm.html", rows=rows, reason=reason,
                               told=sum(1 for _, to in rows if to))


@bp.route("/supervisor/phantoms/cancel", methods=["POST"])
@supervisor_required
def phantoms_cancel():
    ids = [int(v) for v in request.form.getlist("booking_id") if v.isdigit()]
    try:
        with work() as s:
            count = phantoms.cancel_many(s, ids, request.form.get("reason", ""), actor(), now())
        flash(t("phantoms.cancelled", count=count), "ok")
    except InvalidInput as exc:
        flash_error(t("phantoms.need_reason") if exc.field == "reason" else t("phantoms.need_selection"))
    except LedgerError as exc:
        flash_error(t("error.ledger", code=exc.code))
    return redirect(url_for("console.phantoms_page"))


@bp.route("/supervisor/report.csv")
@supervisor_required
def report_csv():
    day = parse_date(request.args.get("day")) or today()
    with work() as s:
        body = daily_report.to_csv(s, day)
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="hotline-report-{day.isoformat()}.csv"'})


@bp.route("/supervisor/settings", methods=["GET"])
@supervisor_required
def settings_page():
    with work() as s:
        return render_template("console/settings.html", values=settings.all_settings(s), limits=settings.DEFAULTS,
                               centres=list(s.scalars(select(Centre).order_by(Centre.name))))


@bp.route("/supervisor/settings", methods=["POST"])
@supervisor_required
def settings_save():
    try:
        with work() as s:
            for key in settings.DEFAULTS:
                if key in request.form:
                    settings.set_setting(s, key, request.form[key], actor())
        flash(t("settings.saved"), "ok")
    except InvalidInput as exc:
        flash_error(_setting_problem(exc))
    return redirect(url_for("console.settings_page"))


def _setting_problem(exc: InvalidInput) -> str:
    """A settings error that names the setting and the allowed range, in the console's language."""
    if exc.field in settings.DEFAULTS:
        _, low, high = settings.DEFAULTS[exc.field]
        return t("settings.out_of_range", field=t(f"setting.{exc.field}"), low=low, high=high)
    if exc.field in CENTRE_FIELDS:
        label, low, high = CENTRE_FIELDS[exc.field]
        return t("settings.out_of_range", field=t(label), low=low, high=high)
    return t("settings.invalid", field=exc.field, message=exc.message)


CENTRE_FIELDS = {"phone_share_percent": ("settings.phone_share", 0, 100),
                 "phone_release_hours": ("settings.release_hours", 0, 24 * 14)}


def heat_class(free: int, total: int) -> str:
    """The heat table's colour step for a cell: none left, under a fifth, under half, plenty."""
    if free <= 0:
        return "h0"
    share = free / total if total else 0
    return "h1" if share < 0.2 else "h2" if share < 0.5 else "h3"


bp.add_app_template_filter(date.fromisoformat, "isodate")
bp.add_app_template_global(heat_class, "heat_class")


@bp.route("/supervisor/centres/<int:centre_id>", methods=["POST"])
@supervisor_required
def centre_save(centre_id: int):
    try:
        with work() as s:
            settings.set_centre_quota(s, centre_id, request.form.get("phone_share_percent", ""),
                                      request.form.get("phone_release_hours", ""), actor(), now())
        flash(t("settings.saved"), "ok")
    except InvalidInput as exc:
        flash_error(_setting_problem(exc))
    return redirect(url_for("console.settings_page") + f"#centre-{centre_id}")




@bp.route("/supervisor/messages")
@supervisor_required
def failed_messages():
    """Messages of a day (today unless ?day=) that did not reach the person, with Twilio's reason."""
    day = parse_date(request.args.get("day")) or today()
    start, end = wallboard.day_bounds(day)
    with work() as s:
        rows = contact.failed_on(s, start, end)
        return render_template("console/failed_messages.html", rows=rows, day=day)
