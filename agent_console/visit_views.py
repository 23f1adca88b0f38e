"""Agents book a mobile team's visit to a care home: one pair of slots, every resident from the home's list."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from agent_console.blueprint import bp
from agent_console.helpers import actor, flash_error, now, policy, work
from agent_console.i18n import t
from shared_db.errors import InvalidInput, LedgerError
from shared_db.ledger import changes
from shared_db.ledger.pairing import find_offers
from shared_db.models import CareHomeVisit, Centre


@bp.route("/visits", methods=["GET"])
def visit_form():
    centre_id = request.args.get("centre_id", type=int)
    with work() as s:
        centres = list(s.scalars(select(Centre).where(Centre.active.is_(True)).order_by(Centre.name)))
        offers = find_offers(s, centre_ids=[centre_id], channel="agent", now=now(), limit=12) if centre_id else []
        recent = list(s.scalars(select(CareHomeVisit).order_by(CareHomeVisit.id.desc()).limit(20)))
        return render_template("console/visits.html", centres=centres, centre_id=centre_id, offers=offers,
                               recent=recent, v=request.args)


@bp.route("/visits", methods=["POST"])
def visit_submit():
    form = request.form
    first, _, second = form.get("pair", "").partition(":")
    back = url_for("console.visit_form", centre_id=form.get("centre_id", ""))
    if not first.isdigit() or (second and not second.isdigit()):
        flash_error(t("visit.need_slot"))
        return redirect(back)
    try:
        with work() as s:
            visit = changes.book_care_home_visit(
                s, first_slot_id=int(first), second_slot_id=int(second) if second else None,
                home_name=form.get("home_name", ""), home_address=form.get("home_address", ""),
                residents_text=form.get("residents", ""), actor=actor(), policy=policy(), now=now())
            name = visit.home_name
    except InvalidInput as exc:
        flash_error(t("visit.refused", reason=exc.message))
        return redirect(back)
    except LedgerError as exc:
        flash_error(t("error.ledger", code=exc.code))
        return redirect(back)
    flash(t("visit.done", home=name), "ok")
    return redirect(back)
