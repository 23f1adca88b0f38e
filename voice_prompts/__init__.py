"""Prompt catalogues per language (de.json, en.json, tr.json), keyed by the prompt names the flow uses.

Each catalogue holds `_meta` (voice, speech language, date formats, speech hints),
`words` (spoken answers the IVR understands) and `prompts` (text with {placeholders};
"|" marks a short pause). `audio.json` maps (language, key) to a recorded file that
is played instead of the spoken text, for prompts without placeholders.
"""
from __future__ import annotations

import json
import string
from functools import cache
from pathlib import Path

HERE = Path(__file__).parent
LANGUAGES = ("de", "en", "tr")
DEFAULT_LANGUAGE = "de"
_voices: dict[str, str] = {}  # voice per language chosen by the deployment (HOTLINE_VOICE_DE ...)


@cache
def catalogue(language: str) -> dict:
    """The whole catalogue of one language (German for an unknown one)."""
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    return json.loads((HERE / f"{language}.json").read_text(encoding="utf-8"))


def text(language: str, key: str, **values) -> str:
    """The prompt `key` in a language with its placeholders filled in."""
    return catalogue(language)["prompts"][key].format(**values)


def use_voices(voices: dict[str, str]) -> None:
    """Voices the deployment chose per language (Config.VOICES from HOTLINE_VOICE_DE, _EN, _TR)."""
    _voices.clear()
    _voices.update({language: voice for language, voice in voices.items() if voice})


def meta(language: str) -> dict:
    """Voice, speech language, date formats and speech hints of a language."""
    data = dict(catalogue(language)["_meta"])
    data["voice"] = _voices.get(language) or data["voice"]
    return data


def words(language: str) -> dict:
    """The spoken answers the IVR understands in a language."""
    return catalogue(language)["words"]


def placeholders(template: str) -> set[str]:
    """The placeholder names in a prompt text."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@cache
def audio_map() -> dict:
    """{language: {key: file}} of recorded prompts; empty when none are recorded."""
    path = HERE / "audio.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def audio_file(language: str, key: str) -> str | None:
    """The recorded file for a prompt, if there is one."""
    return audio_map().get(language, {}).get(key)
