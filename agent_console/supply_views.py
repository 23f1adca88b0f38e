"""Supervisors' supply page: doses per centre and week against places, and the bulk actions for a cut.

A bulk action is chosen by centre, day range and vaccine; "preview" counts what it
would touch and changes nothing; "apply" runs it through the use cases in
shared_db/ledger/changes.py, which tell each person through the outbox and audit it.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from agent_console.auth import supervisor_required
from agent_console.blueprint import bp
from agent_console.helpers import actor, flash_error, now, parse_date, today, work
from agent_console.i18n import t
from shared_db.errors import InvalidInput, LedgerError
from shared_db.ledger import changes, supply
from shared_db.models import Centre, Vaccine

ACTIONS = ("reduce", "cancel", "move")


def _scope(source) -> supply.Scope:
    """The scope a form names; InvalidInput for anything missing."""
    first, last = parse_date(source.get("first_day")), parse_date(source.get("last_day"))
    centre_id, vaccine_id = source.get("centre_id", ""), source.get("vaccine_id", "")
    if not (centre_id.isdigit() and vaccine_id.isdigit()) or first is None or last is None:
        raise InvalidInput("scope", "centre, vaccine, first and last day")
    scope = supply.Scope(int(centre_id), int(vaccine_id), first, last)
    scope.check()
    return scope


@bp.route("/supervisor/supply")
@supervisor_required
def supply_page():
    chosen = request.args.to_dict()
    with work() as s:
        names = {"centres": {c.id: c.name for c in s.scalars(select(Centre).order_by(Centre.name))},
                 "vaccines": {v.id: v.name for v in s.scalars(select(Vaccine).order_by(Vaccine.name))}}
        preview = None
        if "preview" in chosen:
            try:
                preview = supply.preview(s, _scope(chosen), now())
            except InvalidInput:
                flash_error(t("supply.bad_scope"))
        return render_template("console/supply.html", stock=supply.stock_table(s, today()), chosen=chosen,
                               preview=preview, actions=ACTIONS, **names)


@bp.route("/supervisor/supply/delivery", methods=["POST"])
@supervisor_required
def supply_delivery():
    form = request.form
    try:
        week = parse_date(form.get("week"))
        if week is None or not form.get("doses", "").isdigit():
            raise InvalidInput("doses", "week and doses")
        with work() as s:
            removed = changes.record_delivery(s, centre_id=int(form.get("centre_id", "0") or 0),
                                              vaccine_id=int(form.get("vaccine_id", "0") or 0), week=week,
                                              doses=int(form["doses"]), status=form.get("status", "expected"),
                                              actor=actor())
        flash(t("supply.delivery_saved", removed=removed), "ok")
    except (InvalidInput, ValueError):
        flash_error(t("supply.bad_delivery"))
    return redirect(url_for("console.supply_page"))


@bp.route("/supervisor/supply/apply", methods=["POST"])
@supervisor_required
def supply_apply():
    form, action, reason = request.form, request.form.get("action", ""), request.form.get("reason", "").strip()
    back = url_for("console.supply_page", **{k: v for k, v in form.items() if k in
                                             ("centre_id", "vaccine_id", "first_day", "last_day", "action")})
    if action not in ACTIONS or not reason:
        flash_error(t("supply.need_reason"))
        return redirect(back)
    try:
        with work() as s:
            scope = _scope(form)
            if action == "reduce":
                message = t("supply.reduced", count=changes.reduce_capacity(s, scope, actor=actor(), reason=reason,
                                                                            now=now()))
            elif action == "cancel":
                message = t("supply.cancelled", count=len(changes.cancel_range(s, scope, actor=actor(),
                                                                               reason=reason, now=now())))
            else:
                moved, cancelled = changes.move_range(s, scope, actor=actor(), reason=reason, now=now())
                message = t("supply.moved", moved=len(moved), cancelled=len(cancelled))
        flash(message, "ok")
    except InvalidInput:
        flash_error(t("supply.bad_scope"))
    except LedgerError as exc:
        flash_error(t("error.ledger", code=exc.code))
    return redirect(back)
