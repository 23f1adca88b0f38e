"""Console language: German first, English and Turkish switchable; texts live in messages.py."""
from __future__ import annotations

from flask import Flask, redirect, request, url_for
from flask import session as cookie

from agent_console.blueprint import bp
from agent_console.messages import CATALOGUE, LANGUAGES


def language() -> str:
    """The console language of this browser session (German unless switched)."""
    lang = cookie.get("console_lang", "de")
    return lang if lang in LANGUAGES else "de"


def t(key: str, **values) -> str:
    """The text for a message key in the current language (German when a translation is missing)."""
    entry = CATALOGUE.get(key)
    if entry is None:
        return key
    text = entry.get(language()) or entry["de"]
    return text.format(**values) if values else text


def init_app(app: Flask) -> None:
    """Make `t`, the language and display helpers available in every console template."""
    from agent_console.helpers import local
    from shared_db.people import mask_phone

    @app.context_processor
    def _console_context():
        if not request.path.startswith("/console"):
            return {}
        return {"t": t, "lang": language(), "languages": LANGUAGES, "local": local, "mask_phone": mask_phone}


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch the console language and go back where the user was."""
    lang = request.form.get("lang", "de")
    cookie["console_lang"] = lang if lang in LANGUAGES else "de"
    back = request.form.get("back", "")
    return redirect(back if back.startswith("/console/") and not back.startswith("//") else url_for("console.home"))
