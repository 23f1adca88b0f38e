"""The console's texts as gettext catalogues (Flask-Babel), German first, English and Turkish beside.

Layout: ``<lang>/LC_MESSAGES/messages.po`` for de, en and tr, compiled beside each to ``messages.mo``
(committed, so a fresh clone and ``.ci/run`` need no build step; a test fails when a ``.mo`` is stale).
Message ids are stable keys such as ``book.done``, because views build some keys from codes
(``t('status.' + state)``); the German text is the source and stands in every catalogue as an
extracted comment, so translators' tools (Poedit, Weblate, ``pybabel update``) show it beside the key.
Placeholders use gettext's Python format, ``%(code)s``; write a literal percent sign as ``%%`` in a
text that has placeholders.

Add or change a text (writes all three .po files and the template, then compiles the .mo files)::

    python -m agent_console.translations add book.done \
        "Gebucht. Buchungscode: %(code)s" "Booked. Booking code: %(code)s" "Randevu alındı. Randevu kodu: %(code)s"

Use it in a template as ``{{ t('book.done', code=b.code) }}`` or in Python as ``i18n.t('book.done', code=...)``.
After editing a .po file by hand: ``python -m agent_console.translations compile``.
A branch that still adds entries to the old ``agent_console/messages.py``: run
``python -m agent_console.translations.convert agent_console/messages.py``, then ``git rm`` that file.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

LANGUAGES = ("de", "en", "tr")
DOMAIN = "messages"
DIRECTORY = Path(__file__).resolve().parent
TEMPLATE = DIRECTORY / f"{DOMAIN}.pot"
# a fixed header date keeps the files stable: a text change is the only diff
_HEADER_DATE = datetime(2021, 1, 1, tzinfo=UTC)
_HEADER_COMMENT = (
    "# Agent console texts of the hotline (key -> text). German is the source language.\n"
    "# Edit with `python -m agent_console.translations add ...` or by hand, then compile (see __init__.py)."
)
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def po_path(lang: str) -> Path:
    """The .po file of one language."""
    return DIRECTORY / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str) -> Path:
    """The compiled .mo file of one language (what Flask-Babel reads)."""
    return po_path(lang).with_suffix(".mo")


def read(lang: str) -> Catalog:
    """The catalogue of one language as Babel reads it."""
    with po_path(lang).open("rb") as handle:
        return read_po(handle, locale=lang, domain=DOMAIN)


def texts() -> dict[str, dict[str, str]]:
    """Every key with its text per language: {key: {lang: text}} (empty string where one is missing)."""
    table: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        if not po_path(lang).exists():
            continue  # the first conversion starts from nothing
        for message in read(lang):
            if message.id:
                table.setdefault(message.id, {})[lang] = message.string or ""
    return {key: {lang: row.get(lang, "") for lang in LANGUAGES} for key, row in sorted(table.items())}


def placeholders(text: str) -> set[str]:
    """The named placeholders of a text (``%(code)s`` -> {"code"})."""
    return set(_PLACEHOLDER.findall(text))


def save(table: dict[str, dict[str, str]]) -> None:
    """Write the template and the three .po files from {key: {lang: text}}, then compile the .mo files."""
    _write(TEMPLATE, _catalog(table, None))
    for lang in LANGUAGES:
        po_path(lang).parent.mkdir(parents=True, exist_ok=True)
        _write(po_path(lang), _catalog(table, lang))
    compile_all()


def add(key: str, de: str, en: str, tr: str) -> None:
    """Add a text in all three languages, or replace the key's texts (then compile)."""
    table = texts()
    table[key] = {"de": de, "en": en, "tr": tr}
    save(table)


def compile_all() -> None:
    """Compile every .po file to its .mo file beside it."""
    for lang in LANGUAGES:
        mo_path(lang).write_bytes(compiled(lang))


def compiled(lang: str) -> bytes:
    """The .mo bytes that the current .po file of a language compiles to."""
    buffer = BytesIO()
    write_mo(buffer, read(lang), use_fuzzy=False)
    return buffer.getvalue()


def _catalog(table: dict[str, dict[str, str]], lang: str | None) -> Catalog:
    """A Babel catalogue for one language (None: the template with empty translations)."""
    catalog = Catalog(locale=lang, domain=DOMAIN, project="hotline agent console", version="1",
                      copyright_holder="hotline", msgid_bugs_address="", fuzzy=False,
                      creation_date=_HEADER_DATE, revision_date=_HEADER_DATE,
                      language_team=f"{lang} <hotline>" if lang else None,
                      last_translator="hotline", header_comment=_HEADER_COMMENT)
    for key, row in sorted(table.items()):
        comments = [] if lang == "de" else [f"de: {row['de']}"]
        flags = ["python-format"] if placeholders(row["de"]) else []  # lets msgfmt --check compare placeholders
        catalog.add(key, row[lang] if lang else "", auto_comments=comments, flags=flags)
    return catalog


def _write(path: Path, catalog: Catalog) -> None:
    """Write a catalogue as a .po/.pot file, sorted by key, lines kept whole."""
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0, sort_output=True, omit_header=False, include_previous=False)
