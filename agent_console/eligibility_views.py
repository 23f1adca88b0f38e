"""Supervisors' eligibility pages: rules (with preview), invitation lists, verification; agents' opening notices."""
from __future__ import annotations

import io
from datetime import date

from flask import Response, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from agent_console.auth import supervisor_required
from agent_console.blueprint import bp
from agent_console.helpers import actor, flash_error, now, parse_date, policy, today, work
from agent_console.i18n import t
from shared_db.errors import InvalidInput
from shared_db.ledger.slot_import import ImportRejected
from shared_db.messages.invitations import letters_csv, send_invitations
from shared_db.messages.texts import CANCEL_REASONS
from shared_db.models import CampaignWindow, Centre, EligibilityRule, PriorityGroup, Vaccine, VaccineAgeBand
from shared_db.operations import rules_admin, verification
from shared_db.people import normalise_phone, notices
from shared_db.people.invitations import import_list, list_states, read_list

# --------------------------------------------------------------------------- rules


@bp.route("/supervisor/rules")
@supervisor_required
def rules_page():
    with work() as s:
        return render_template("console/rules.html", **_rules_context(s), effect=None, pending=None)


def _rules_context(s) -> dict:
    return {
        "groups": list(s.scalars(select(PriorityGroup).order_by(PriorityGroup.number))),
        "rules": list(s.scalars(select(EligibilityRule).order_by(EligibilityRule.group_id, EligibilityRule.id))),
        "windows": list(s.scalars(select(CampaignWindow).where(CampaignWindow.cancelled_at.is_(None))
                                  .order_by(CampaignWindow.opens_on, CampaignWindow.id))),
        "bands": list(s.scalars(select(VaccineAgeBand).order_by(VaccineAgeBand.vaccine_id, VaccineAgeBand.valid_from))),
        "vaccines": list(s.scalars(select(Vaccine).order_by(Vaccine.code))),
        "centres": list(s.scalars(select(Centre).order_by(Centre.name))),
        "lists": list_states(s),
        "reasons": list(CANCEL_REASONS),
    }


@bp.route("/supervisor/rules", methods=["POST"])
@supervisor_required
def rules_change():
    """Every change is shown as a preview first; the page's second button saves exactly that change."""
    form, save = request.form, request.form.get("confirm") == "1"
    try:
        edit = _edit_from(form)
        with work() as s:
            if save:
                edit(s)
                flash(t("rules.saved"), "ok")
                return redirect(url_for("console.rules_page"))
            effect = rules_admin.preview(s, edit, now())
            return render_template("console/rules.html", **_rules_context(s), effect=effect,
                                   pending={k: v for k, v in form.items() if k != "csrf_token"})
    except (InvalidInput, ValueError) as exc:
        flash_error(t("rules.invalid", message=getattr(exc, "message", str(exc))))
    return redirect(url_for("console.rules_page"))


def _edit_from(form):
    """The change a rules form asks for, as a function of a session (run for the preview, then for real)."""
    who, what = actor(), form.get("action", "")
    if what == "add_window":
        values = dict(group=_int(form, "group"), opens_on=_day(form, "opens_on"),
                      closes_on=parse_date(form.get("closes_on")) if form.get("closes_on") else None,
                      centre_id=_int(form, "centre_id") if form.get("centre_id") else None,
                      vaccine=form.get("vaccine") or None, channels=tuple(form.getlist("channels")),
                      min_age=_int(form, "min_age") if form.get("min_age") else None,
                      self_declared=form.get("self_declared") == "1",
                      requires_invitation=form.get("requires_invitation") == "1")
        return lambda s: rules_admin.add_window(s, who, **values)
    if what == "move_window":
        window_id, opens_on = _int(form, "window_id"), _day(form, "opens_on")
        closes_on = parse_date(form.get("closes_on")) if form.get("closes_on") else None
        return lambda s: rules_admin.move_window(s, who, window_id, opens_on=opens_on, closes_on=closes_on)
    if what == "cancel_window":
        window_id, moment = _int(form, "window_id"), now()
        return lambda s: rules_admin.cancel_window(s, who, window_id, moment)
    if what == "add_rule":
        group, kind = _int(form, "group"), form.get("kind", "")
        min_age = _int(form, "min_age") if form.get("min_age") else None
        return lambda s: rules_admin.add_rule(s, who, group=group, kind=kind, min_age=min_age)
    if what == "remove_rule":
        rule_id = _int(form, "rule_id")
        return lambda s: rules_admin.remove_rule(s, who, rule_id)
    if what == "add_band":
        values = dict(vaccine=form.get("vaccine", ""), valid_from=_day(form, "valid_from"),
                      min_age=_int(form, "min_age") if form.get("min_age") else None,
                      max_age=_int(form, "max_age") if form.get("max_age") else None,
                      valid_until=parse_date(form.get("valid_until")) if form.get("valid_until") else None)
        return lambda s: rules_admin.add_band(s, who, **values)
    if what == "end_band":
        band_id, last_day = _int(form, "band_id"), _day(form, "valid_until")
        return lambda s: rules_admin.end_band(s, who, band_id, last_day)
    raise InvalidInput("action", "unknown change")


def _int(form, field: str) -> int:
    raw = (form.get(field) or "").strip()
    if not raw.isdigit() or len(raw) > 6:
        raise InvalidInput(field, "a whole number is needed")
    return int(raw)


def _day(form, field: str) -> date:
    day = parse_date(form.get(field))
    if day is None:
        raise InvalidInput(field, "a date (TT.MM.JJJJ) is needed")
    return day


# --------------------------------------------------------------------------- invitation lists


@bp.route("/supervisor/invitations/import", methods=["POST"])
@supervisor_required
def invitations_import():
    upload = request.files.get("file")
    text = upload.read().decode("utf-8-sig", errors="replace") if upload else ""
    try:
        with work() as s:
            groups = list(s.scalars(select(PriorityGroup.number)))
            result = import_list(s, read_list(io.StringIO(text), groups, today()), actor())
        flash(t("lists.imported", added=result.added, updated=result.updated, unchanged=result.unchanged), "ok")
    except ImportRejected as rejected:
        flash_error(t("lists.rejected", errors="; ".join(f"{line}: {msg}" for line, msg in rejected.errors[:10])))
    return redirect(url_for("console.rules_page") + "#lists")


@bp.route("/supervisor/invitations/send", methods=["POST"])
@supervisor_required
def invitations_send():
    with work() as s:
        counts = send_invitations(s, request.form.get("institution", ""), policy().hotline_number, actor(), now())
    flash(t("lists.sent", sms=counts["sms"], email=counts["email"], letters=counts["letter_due"]), "ok")
    return redirect(url_for("console.rules_page") + "#lists")


@bp.route("/supervisor/invitations/letters.csv", methods=["POST"])
@supervisor_required
def invitations_letters():
    institution = request.form.get("institution", "")
    with work() as s:
        body = letters_csv(s, institution, policy().hotline_number, actor(), now())
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="einladungen-briefe.csv"'})


# --------------------------------------------------------------------------- verification


@bp.route("/supervisor/verification")
@supervisor_required
def verification_page():
    with work() as s:
        return render_template("console/verification.html", rows=verification.to_verify(s, now()),
                               reasons=list(CANCEL_REASONS))


@bp.route("/supervisor/verification", methods=["POST"])
@supervisor_required
def verification_act():
    ids = [int(v) for v in request.form.getlist("booking_id") if v.isdigit()]
    try:
        with work() as s:
            if request.form.get("do") == "verify":
                flash(t("verification.done_verified", count=verification.mark_verified(s, ids, actor())), "ok")
            else:
                count = verification.cancel_unverified(s, ids, request.form.get("why", ""), actor(), now(),
                                                       policy())
                flash(t("verification.done_cancelled", count=count), "ok")
    except InvalidInput as exc:
        flash_error(t("verification.need_" + ("selection" if exc.field == "booking_ids" else "reason")))
    return redirect(url_for("console.verification_page"))


# --------------------------------------------------------------------------- opening notices (agents)


@bp.route("/notify", methods=["POST"])
def notify_when_open():
    """An agent notes 'tell me when my group opens' for a caller (SMS to a mobile, else a callback)."""
    form = request.form
    born, group = parse_date(form.get("dob")), form.get("group", "")
    try:
        phone = normalise_phone(form.get("phone", ""))
        if born is None or not group.isdigit():
            raise InvalidInput("dob", "date of birth and group are needed")
        with work() as s:
            from shared_db.people import is_mobile

            notices.ask(s, group=int(group), date_of_birth=born, channel="sms" if is_mobile(phone) else "callback",
                        phone=phone, language=form.get("language") or "de", now=now())
        flash(t("notify.saved"), "ok")
    except InvalidInput:
        flash_error(t("book.bad_phone"))
    return redirect(url_for("console.book_form"))
