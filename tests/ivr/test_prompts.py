"""Prompts and pure TwiML: every key in every language, short prompts, option before key, slow SSML, German dates."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

import voice_prompts as vp
from ivr import flow
from ivr.engine import values
from ivr.inputs import parse_birth_date, say_birth, say_code, say_when
from ivr.twiml import Turn, Urls, apology, render, wait_music
from tests.ivr.support import new_call

IVR = Path(flow.__file__).parent
SAMPLE = {"dob": "1938-03-03", "opens": "2021-04-06", "name": "Erna Schmidt", "place": "Bielefeld",
          "suggest_name": "Impfzentrum Kreis Gütersloh", "limit": 3, "minutes": 3,
          "appt": {"first": "2021-04-06T12:30:00+00:00", "second": "2021-04-27T12:30:00+00:00", "tz": "Europe/Berlin",
                   "centre": "Impfzentrum Kreis Warendorf", "code": "123456789", "sms": True, "first_id": 1},
          "new": {"first": "2021-04-08T12:30:00+00:00", "second": "2021-04-29T12:30:00+00:00", "tz": "Europe/Berlin",
                  "centre": "Impfzentrum Kreis Warendorf", "first_id": 2}}
WORDS_PER_SECOND = 2.2  # slow, clear speech at 90 % rate


def keys_used_in_code() -> set[str]:
    """Prompt keys named by the steps, the engine and the webhooks (notes, retries, spoken answers)."""
    pattern = re.compile(r'(?:note|Retry|spoken|say|_failure)\((?:[^()"]*?, )?"(\w+)"')
    found = set()
    for path in IVR.rglob("*.py"):
        found |= set(pattern.findall(path.read_text()))
    return found - {"not_understood"} | {"not_understood", "apology", "wait_position", "wait_minutes", "wait_soon",
                                         "wait_unknown", "wait_callback", "repeat_hint", "sms_group_open"}


@pytest.mark.parametrize("lang", vp.LANGUAGES)
def test_every_key_the_flow_uses_exists_with_the_same_placeholders(lang):
    german = vp.catalogue("de")["prompts"]
    prompts = vp.catalogue(lang)["prompts"]
    for key, only in flow.all_prompt_keys():
        if only and only != lang:
            continue
        assert key in prompts, f"{lang} lacks {key}"
    for key in keys_used_in_code():
        assert key in prompts, f"{lang} lacks {key} (used in code)"
        assert vp.placeholders(prompts[key]) == vp.placeholders(german[key]), key
    shared = {k for k in german if not k.startswith("opt_lang_")}
    assert shared == {k for k in prompts if not k.startswith("opt_lang_")}
    for key in shared:
        assert vp.placeholders(prompts[key]) == vp.placeholders(german[key]), f"{lang}:{key}"


def test_keys_used_in_code_are_found():
    used = keys_used_in_code()
    assert {"home_sold_out", "neighbour_notice", "dob_invalid", "code_not_found", "callback_done"} <= used


def _rendered(lang: str, node: flow.Node) -> ET.Element:
    turn = Turn(lang, node, values(dict(SAMPLE, lang=lang), lang), node.options)
    return ET.fromstring(render(turn, Urls("/ivr/step?n=1&l=" + lang)).to_xml())


@pytest.mark.parametrize("lang", vp.LANGUAGES)
def test_no_prompt_is_longer_than_about_twenty_seconds(lang):
    for name, node in flow.NODES.items():
        for say in _rendered(lang, node).iter("Say"):
            words = " ".join(say.itertext()).split()
            seconds = len(words) / WORDS_PER_SECOND + 0.7 * len(say.findall("break"))
            assert seconds <= 20, f"{lang}:{name}: {' '.join(words)}"


@pytest.mark.parametrize("lang", vp.LANGUAGES)
def test_options_name_the_choice_before_the_key(lang):
    for key, template in vp.catalogue(lang)["prompts"].items():
        if key.startswith("opt_"):
            before, after = template.split("{key}")
            assert before.split() and len(after.split()) <= 6, f"{lang}:{key}: {template}"


def test_menus_speak_slowly_in_the_languages_voice_and_accept_speech_with_hints():
    root = _rendered("de", flow.NODES["dob_confirm"])
    gather = root.find("Gather")
    assert gather.get("input") == "dtmf speech" and gather.get("language") == "de-DE"
    assert "ja" in gather.get("hints") and "nein" in gather.get("hints")
    assert gather.get("numDigits") == "1" and int(gather.get("timeout")) >= 5
    say = gather.find("Say")
    assert say.get("voice") == vp.meta("de")["voice"] and say.find("prosody").get("rate") == "90%"
    assert root.find("Redirect") is not None  # silence leads back to us, never to a hang-up
    assert "3. März 1938" in " ".join(" ".join(s.itertext()) for s in gather.iter("Say"))


def test_pauses_become_ssml_breaks():
    root = _rendered("de", flow.NODES["booked"])
    assert root.find(".//Say/break") is not None


def test_recorded_audio_is_played_instead_of_spoken(monkeypatch):
    monkeypatch.setattr(vp, "audio_map", lambda: {"de": {"goodbye": "goodbye_de.mp3"}})
    root = _rendered("de", flow.NODES["goodbye"])
    assert root.find("Play").text.endswith("goodbye_de.mp3") and root.find("Say") is None


def test_apology_and_wait_music_are_pure():
    root = ET.fromstring(apology("en", Urls("/x")).to_xml())
    assert root.find("Enqueue").text == "hotline" and "technical problem" in "".join(root.itertext())
    root = ET.fromstring(wait_music("tr", 2, 600, "/ivr/wait-key?l=tr").to_xml())
    assert "Sırada 2. kişisiniz" in " ".join(root.itertext()) and "10 dakika" in " ".join(root.itertext())


def test_german_dates_and_codes_read_naturally():
    moment = datetime(2021, 4, 6, 12, 30, tzinfo=UTC)
    assert say_when(moment, "Europe/Berlin", "de") == "Dienstag, den 6. April, um 14:30 Uhr"
    assert say_when(moment, "Europe/Berlin", "en") == "Tuesday, 6 April at 14:30"
    assert say_birth("1938-03-03", "de") == "3. März 1938"
    assert say_code("123456789") == "1 2 3 | 4 5 6 | 7 8 9"


@pytest.mark.parametrize("keys,speech,expected", [
    ("03031938", None, date(1938, 3, 3)),
    (None, "3. März 1938", date(1938, 3, 3)),
    (None, "null drei null drei eins neun drei acht", date(1938, 3, 3)),
    ("31021938", None, None),  # no 31 February
    ("01011890", None, None),  # not plausible
    ("0303193", None, None),
    (None, "gestern", None),
])
def test_birth_dates_from_keys_and_speech(keys, speech, expected):
    assert parse_birth_date(keys, speech, "de", date(2021, 4, 1)) == expected


def test_spoken_yes_and_star_to_repeat_in_a_whole_call(client, ivr_world):
    call = new_call(client)
    call.dial(), call.press("1"), call.press("1"), call.press("03031938")
    before = call.last.heard()
    assert call.press("*").heard() == before
    assert "Postleitzahl" in call.say("Ja, das stimmt").heard()


def test_two_failures_offer_a_person_and_try_again_returns(client, ivr_world):
    call = new_call(client)
    call.dial(), call.press("1")
    assert "nicht verstanden" in call.press("7").heard()
    assert "nichts gehört" in call.silence().heard()
    offer = call.last.heard()
    assert "persönlich" in offer
    assert "Hauptmenü" in call.press("2").heard()
