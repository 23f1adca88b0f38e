"""Console language: German first, English and Turkish switchable; texts are gettext catalogues.

The catalogues live in agent_console/translations/ (see its docstring for how to add a text) and are
read through Flask-Babel. The console has its own Flask-Babel domain with an absolute directory, so
other parts of the app keep whatever translations they configure.
"""
from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date
from flask import Flask, has_request_context, redirect, request, url_for
from flask import session as cookie
from flask_babel import Babel, Domain

from agent_console import translations
from agent_console.blueprint import bp
from shared_db import clock

LANGUAGES = translations.LANGUAGES
DOMAIN = Domain(translation_directories=str(translations.DIRECTORY), domain=translations.DOMAIN)


def language() -> str:
    """The console language of this browser session (German unless switched)."""
    lang = cookie.get("console_lang", "de") if has_request_context() else "de"
    return lang if lang in LANGUAGES else "de"


def t(key: str, **values) -> str:
    """The text for a message key in the current language, placeholders (%(name)s) filled from values."""
    return DOMAIN.gettext(key, **values)


def _as_day(value: date | datetime) -> date:
    return clock.local_date(value) if isinstance(value, datetime) else value


def day_short(value: date | datetime) -> str:
    """Weekday and date in the console language: 'Di. 06.04.' (a moment counts on its Berlin day)."""
    return format_date(_as_day(value), "EEE dd.MM.", locale=language())


def day_year(value: date | datetime) -> str:
    """Weekday and full date: 'Di. 06.04.2021'."""
    return format_date(_as_day(value), "EEE dd.MM.yyyy", locale=language())


def day_long(value: date | datetime) -> str:
    """The full date in the console language: 'Dienstag, 6. April 2021'."""
    return format_date(_as_day(value), "full", locale=language())


def weekday(value: date) -> str:
    """The weekday's short name: 'Di.'."""
    return format_date(value, "EEE", locale=language())


def init_app(app: Flask) -> None:
    """Set up Flask-Babel and make `t`, the language and display helpers available in every console template."""
    from agent_console import history
    from agent_console.helpers import local
    from agent_console.slot_picker import here
    from shared_db.people import mask_phone

    if "babel" not in app.extensions:
        Babel(app, default_locale="de", default_timezone="Europe/Berlin", locale_selector=language)

    @app.context_processor
    def _console_context():
        if not request.path.startswith("/console"):
            return {}
        return {"t": t, "lang": language(), "languages": LANGUAGES, "local": local, "mask_phone": mask_phone,
                "day_short": day_short, "day_year": day_year, "day_long": day_long, "weekday": weekday, "here": here,
                "phone_display": history.phone_display, "delivery_reason": history.delivery_reason,
                "message_kinds": history.MESSAGE_KINDS, "who_of": history.who_plain}


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch the console language and go back where the user was."""
    lang = request.form.get("lang", "de")
    cookie["console_lang"] = lang if lang in LANGUAGES else "de"
    back = request.form.get("back", "")
    return redirect(back if back.startswith("/console/") and not back.startswith("//") else url_for("console.home"))
