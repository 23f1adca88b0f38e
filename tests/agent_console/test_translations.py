"""The console's gettext catalogues: every key in every language, placeholders that match, compiled
.mo files that match their .po files, and the converter for branches that still add to messages.py."""
from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from agent_console import translations
from agent_console.translations import convert

ROOT = Path(__file__).resolve().parents[2] / "agent_console"
# t('key') or t("key", name=...) with a literal key; keys built from codes are checked by the pages' tests
USED_KEY = re.compile(r"\bt\(['\"]([a-z_0-9]+\.[a-z_0-9.]+)['\"][,)]")


def used_keys() -> set[str]:
    used: set[str] = set()
    for path in list(ROOT.rglob("*.html")) + list(ROOT.rglob("*.py")) + list(ROOT.rglob("*.js")):
        used |= set(USED_KEY.findall(path.read_text(encoding="utf-8")))
    return used


def test_no_catalogue_lacks_a_message():
    table = translations.texts()
    assert len(table) > 100
    gaps = [f"{key} [{lang}]" for key, row in table.items() for lang, text in row.items() if not text.strip()]
    assert not gaps, gaps


def test_the_template_holds_every_key_and_only_those():
    with translations.TEMPLATE.open("rb") as handle:
        template = {m.id for m in read_po(handle) if m.id}
    assert template == set(translations.texts())


def test_every_key_the_console_uses_is_in_the_catalogues():
    missing = sorted(used_keys() - set(translations.texts()))
    assert not missing, missing


def test_placeholders_are_the_same_in_every_language():
    wrong = [key for key, row in translations.texts().items()
             if len({frozenset(translations.placeholders(text)) for text in row.values()}) != 1]
    assert not wrong, wrong


def test_no_entry_is_fuzzy_so_none_is_silently_left_out_of_the_mo_file():
    fuzzy = [(lang, m.id) for lang in translations.LANGUAGES for m in translations.read(lang) if m.id and m.fuzzy]
    assert not fuzzy, fuzzy


@pytest.mark.parametrize("lang", translations.LANGUAGES)
def test_the_committed_mo_file_matches_its_po_file(lang):
    """A stale .mo would show old texts: run `python -m agent_console.translations compile`."""
    with translations.mo_path(lang).open("rb") as handle:
        compiled = {key: text for key, text in gettext.GNUTranslations(handle)._catalog.items() if key}
    assert compiled == {key: row[lang] for key, row in translations.texts().items()}


@pytest.mark.parametrize(("lang", "text"), [("tr", "Randevu alındı. Randevu kodu: K7"),
                                             ("en", "Booked. Booking code: K7"),
                                             ("xx", "Gebucht. Buchungscode: K7")])
def test_texts_are_read_through_flask_babel_in_the_chosen_language(console, lang, text):
    from flask import session

    from agent_console.i18n import t

    with console.test_request_context("/console/"):
        session["console_lang"] = lang
        assert t("book.done", code="K7") == text


@pytest.fixture
def scratch_catalogues(tmp_path, monkeypatch):
    """The catalogues copied to a scratch directory, so the converter's tests write there."""
    for lang in translations.LANGUAGES:
        target = tmp_path / lang / "LC_MESSAGES"
        target.mkdir(parents=True)
        (target / "messages.po").write_bytes(translations.po_path(lang).read_bytes())
    monkeypatch.setattr(translations, "DIRECTORY", tmp_path)
    monkeypatch.setattr(translations, "TEMPLATE", tmp_path / "messages.pot")
    return tmp_path


def test_the_converter_turns_format_fields_into_gettext_placeholders():
    assert convert.to_gettext("{count} Buchungen storniert.") == "%(count)s Buchungen storniert."
    assert convert.to_gettext("Anteil {share} % der Termine") == "Anteil %(share)s %% der Termine"
    assert convert.to_gettext("Telefonanteil (%)") == "Telefonanteil (%)"


def test_the_converter_adds_new_keys_and_keeps_changed_ones_unless_told(scratch_catalogues):
    old = scratch_catalogues / "messages.py"
    old.write_text('_TEXTS: dict[str, tuple[str, str, str]] = {\n'
                   '    "zz.new": ("Neu {n}", "New {n}", "Yeni {n}"),\n'
                   '    "book.done": ("Anders", "Different", "Farklı"),\n}\n', encoding="utf-8")
    assert convert.main([str(old)]) == 0
    table = translations.texts()
    assert table["zz.new"] == {"de": "Neu %(n)s", "en": "New %(n)s", "tr": "Yeni %(n)s"}
    assert table["book.done"]["de"] == "Gebucht. Buchungscode: %(code)s"
    assert translations.mo_path("tr").exists()
    convert.main([str(old), "--overwrite"])
    assert translations.texts()["book.done"]["en"] == "Different"


def test_add_writes_all_three_languages_and_compiles(scratch_catalogues):
    translations.add("zz.added", "Hallo", "Hello", "Merhaba")
    for lang, text in zip(translations.LANGUAGES, ("Hallo", "Hello", "Merhaba"), strict=True):
        with translations.mo_path(lang).open("rb") as handle:
            assert gettext.GNUTranslations(handle).gettext("zz.added") == text
