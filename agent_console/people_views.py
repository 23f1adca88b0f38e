"""Agents' pages around a person: search, person page, notes, book on behalf, rebook, cancel."""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from agent_console import history, slot_picker
from agent_console.blueprint import bp
from agent_console.helpers import (
    actor,
    birth_date,
    flash_error,
    now,
    parse_date,
    policy,
    today,
    user_id,
    work,
)
from agent_console.i18n import t
from shared_db.calls.queue import current_calls
from shared_db.errors import (
    InvalidInput,
    InvitationInvalid,
    InvitationNotYours,
    InvitationUsed,
    LedgerError,
    PersonAlreadyBooked,
)
from shared_db.ledger import changes
from shared_db.messages import outbox
from shared_db.models import ACTIVE_STATUSES, Booking, Notification, Person, Slot
from shared_db.people import PersonDetails, contact, normalise_phone
from shared_db.people import lookup as console_queries
from shared_db.people.eligibility import age_on, assess, load_rules
from shared_db.people.invitations import facts_for

# An invitation code refused: what the agent reads out to the caller.
INVITATION_REFUSALS = {InvitationNotYours: "invitation.not_yours", InvitationInvalid: "invitation.invalid",
                       InvitationUsed: "invitation.used"}


@bp.route("/")
def home():
    with work() as s:
        return render_template("console/home.html", calls=current_calls(s, user_id()))


@bp.route("/search")
def search():
    query, dob = request.args.get("q", ""), parse_date(request.args.get("dob"))
    with work() as s:
        result = console_queries.search(s, query, dob)
        return render_template("console/search.html", q=query, dob=request.args.get("dob", ""), result=result)


@bp.route("/people/<int:person_id>")
def person(person_id: int):
    """Everything an agent needs on the phone: numbers to call, bookings, messages and their delivery, history."""
    with work() as s:
        page = console_queries.person_page(s, person_id)
        if page is None:
            abort(404)
        messages = contact.messages_about(s, person_id, [b.id for b in page.bookings])
        return render_template("console/person.html", page=page, p=page.person, messages=messages,
                               numbers=contact.known_numbers(page.person, page.bookings, messages),
                               history=history.lines(s, page.history, page.bookings),
                               note_authors=history.authors(s, [n.author for n in page.notes]),
                               active=any(b.status in ACTIVE_STATUSES for b in page.bookings))


@bp.route("/people/<int:person_id>/messages/<int:message_id>/resend", methods=["POST"])
def resend_message(person_id: int, message_id: int):
    """Send a message about the person's booking again, to the number the agent typed or chose."""
    typed = request.form.get("to", "").strip()
    try:
        with work() as s:
            original = s.get(Notification, message_id)
            if original is None or original.person_id != person_id:
                abort(404)
            contact.resend(s, message_id, typed, actor(), now())
        flash(t("messages.resent", number=history.phone_display(normalise_phone(typed))), "ok")
    except InvalidInput:
        flash_error(t("messages.bad_number", value=typed))
    return redirect(url_for("console.person", person_id=person_id) + "#messages")


@bp.route("/people/<int:person_id>/notes", methods=["POST"])
def add_note(person_id: int):
    try:
        with work() as s:
            console_queries.add_note(s, person_id, request.form.get("body", ""), actor())
        flash(t("note.saved"), "ok")
    except InvalidInput:
        flash_error(t("note.empty"))
    return redirect(url_for("console.person", person_id=person_id) + "#notes")


# --------------------------------------------------------------------------- book on behalf

FACT_FIELDS = ("care_home", "occupation", "condition")


@dataclass(frozen=True)
class Problem:
    """A field error: the field's name (for aria-invalid) and a message that names what is wrong."""

    field: str
    message: str


def _details_from(form) -> tuple[dict, Problem | None]:
    """The typed-in person details, and the first problem: which field, and what is wrong with it."""
    values = {k: (form.get(k) or "").strip()
              for k in ("name", "dob", "postcode", "phone", "language", "centre_id", "invitation_code")}
    values["facts"] = {k: form.get(k) == "1" for k in FACT_FIELDS}
    values["dob_date"], dob_problem = birth_date(values["dob"], today())
    if not values["name"]:
        return values, Problem("name", t("book.need_name"))
    if dob_problem:
        return values, Problem("dob", t(dob_problem, value=values["dob"]))
    if values["postcode"] and not (values["postcode"].isdigit() and len(values["postcode"]) == 5):
        return values, Problem("postcode", t("book.bad_postcode", value=values["postcode"]))
    if values["phone"]:
        try:
            values["phone_e164"] = normalise_phone(values["phone"])
        except InvalidInput:
            return values, Problem("phone", t("book.bad_phone", value=values["phone"]))
    return values, None


def _assessment(s, values, centre_id: int | None):
    """The verdict for the typed-in person, and the invitation that admits them (their own code, or the list)."""
    facts, invitation = facts_for(s, date_of_birth=values["dob_date"], name=values["name"],
                                  code=values["invitation_code"] or None, claims=values["facts"])
    return assess(facts, load_rules(s), today(), "agent", centre_id), invitation


@bp.route("/book", methods=["GET"])
def book_form():
    """Enter or check a caller's details, see their eligibility, then find a time in the calendar."""
    source = request.args
    if "person_id" in source and "name" not in source:
        with work() as s:
            known = s.get(Person, int(source["person_id"])) if source["person_id"].isdigit() else None
            if known is None:
                abort(404)
            source = {"name": known.name, "dob": known.date_of_birth.strftime("%d.%m.%Y"),
                      "postcode": known.postcode or "", "phone": known.phone or "", "language": known.language}
    values, problem = _details_from(source)
    with work() as s:
        centre_id = int(values["centre_id"]) if values["centre_id"].isdigit() else None
        if centre_id is None and values["postcode"]:
            centre_id = slot_picker.centre_for_postcode(s, values["postcode"])  # the centre serving the postcode
        verdict, picker, explain = None, slot_picker.build(s, centre_id=None), None
        if not problem and "name" in source:
            try:
                verdict, _invitation = _assessment(s, values, centre_id)
            except tuple(INVITATION_REFUSALS) as exc:
                problem = Problem("invitation_code", t(INVITATION_REFUSALS[type(exc)]))
        if verdict is not None:
            explain = _explanation(s, values, verdict)
            allowed = verdict.vaccines if verdict.eligible else None  # an override may use any vaccine
            picker = slot_picker.build(s, centre_id=centre_id, allowed_codes=allowed)
        return render_template("console/book.html", v=values, problem=problem if "name" in source else None,
                               verdict=verdict, picker=picker, centre_id=centre_id, explain=explain)


def _explanation(s, values, verdict) -> dict:
    """What the eligibility box says beside the verdict: age, vaccine names, the groups open now."""
    open_groups = sorted({w.group for w in load_rules(s).windows if w.opens_on <= today()
                          and (w.closes_on is None or w.closes_on >= today())})
    return {"age": age_on(values["dob_date"], today()), "vaccines": slot_picker.vaccine_names(s, verdict.vaccines),
            "open_groups": [t("book.group", number=g) for g in open_groups]}


@bp.route("/book", methods=["POST"])
def book_submit():
    values, problem = _details_from(request.form)
    back = url_for("console.book_form", **{k: v for k, v in request.form.items() if k != "csrf_token"})
    if problem:
        flash_error(problem.message)
        return redirect(back)
    first_id, second_id = _parse_pair(request.form.get("pair", ""))
    override = request.form.get("override") == "1"
    reason = request.form.get("override_reason", "").strip()
    try:
        with work() as s:
            verdict, invitation = _assessment(s, values,
                                              int(values["centre_id"]) if values["centre_id"].isdigit() else None)
            first = s.get(Slot, first_id)
            allowed = verdict.eligible and first is not None and first.vaccine.code in verdict.vaccines
            if not allowed:
                if not (override and current_user.is_supervisor):
                    flash_error(t("book.not_eligible_override"))
                    return redirect(back)
                if not reason:
                    flash_error(t("book.override_reason"))
                    return redirect(back)
            details = PersonDetails(name=values["name"], date_of_birth=values["dob_date"],
                                    postcode=values["postcode"] or None, phone=values.get("phone_e164"),
                                    language=values["language"] if values["language"] in ("de", "en", "tr") else "de",
                                    priority_group=verdict.group)
            made = changes.book_now(s, first_slot_id=first_id, second_slot_id=second_id, details=details,
                                    channel="agent", actor=actor(), now=now(), policy=policy(),
                                    override=None if allowed else verdict.reason, override_reason=reason,
                                    verification=verdict.verification if allowed else "to_verify",
                                    invitation_id=invitation.id if invitation is not None else None)
            person_id, code = made.person_id, made.code
    except PersonAlreadyBooked as exc:
        flash_error(t("book.already_booked", code=exc.booking_code or "?"))
        return redirect(back)
    except tuple(INVITATION_REFUSALS) as exc:
        flash_error(t(INVITATION_REFUSALS[type(exc)]))
        return redirect(back)
    except LedgerError as exc:
        flash_error(t("error.ledger", code=exc.code))
        return redirect(back)
    flash(t("book.done", code=code), "ok")
    return redirect(url_for("console.person", person_id=person_id))


def _parse_pair(raw: str) -> tuple[int, int | None]:
    first, _, second = raw.partition(":")
    if not first.isdigit() or (second and not second.isdigit()):
        abort(400)
    return int(first), int(second) if second else None


# --------------------------------------------------------------------------- rebook and cancel


@bp.route("/bookings/<int:booking_id>/rebook", methods=["GET"])
def rebook_form(booking_id: int):
    """The booking calendar for another day or centre (same vaccine); the current time cannot be chosen."""
    with work() as s:
        current = s.get(Booking, booking_id)
        if current is None:
            abort(404)
        centre_id = request.args.get("centre_id", type=int) or current.first_slot.centre_id
        picker = slot_picker.build(s, centre_id=centre_id, fixed_vaccine_id=current.first_slot.vaccine_id,
                                   current=(current.first_slot_id, current.second_slot_id))
        return render_template("console/rebook.html", b=current, picker=picker)


@bp.route("/bookings/<int:booking_id>/rebook", methods=["POST"])
def rebook_submit(booking_id: int):
    """Move a booking to the chosen time with a reason; choosing its own time again is refused."""
    first_id, second_id = _parse_pair(request.form.get("pair", ""))
    reason = request.form.get("reason", "").strip()
    back = url_for("console.rebook_form", booking_id=booking_id)
    try:
        with work() as s:
            current = s.get(Booking, booking_id)
            if current is None:
                abort(404)
            if first_id == current.first_slot_id:
                flash_error(t("rebook.same_slot"))
                return redirect(back)
            if not reason:
                flash_error(t("rebook.need_reason"))
                return redirect(back)
            moved = changes.rebook_booking(s, booking_id, first_slot_id=first_id, second_slot_id=second_id,
                                           actor=actor(), channel="agent", now=now(), reason=reason)
            person_id = moved.person_id
    except LedgerError as exc:
        flash_error(t("error.ledger", code=exc.code))
        return redirect(back)
    flash(t("rebook.done"), "ok")
    return redirect(url_for("console.person", person_id=person_id) if person_id else url_for("console.home"))


@bp.route("/bookings/<int:booking_id>/cancel", methods=["GET"])
def cancel_confirm(booking_id: int):
    """Say what a cancellation will do and who is told, and ask for the reason, before anything happens."""
    with work() as s:
        current = s.get(Booking, booking_id)
        if current is None:
            abort(404)
        return render_template("console/cancel.html", b=current, told=outbox.recipient(current))


@bp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
def cancel(booking_id: int):
    reason = request.form.get("reason", "").strip()
    with work() as s:
        current = s.get(Booking, booking_id)
        if current is None:
            abort(404)
        person_id = current.person_id
    if not reason:
        flash_error(t("cancel.need_reason"))
        return redirect(url_for("console.cancel_confirm", booking_id=booking_id))
    else:
        try:
            with work() as s:
                changes.cancel_booking(s, booking_id, actor=actor(), reason=reason, now=now())
            flash(t("cancel.done"), "ok")
        except LedgerError as exc:
            flash_error(t("error.ledger", code=exc.code))
    return redirect(url_for("console.person", person_id=person_id) if person_id else url_for("console.home"))
