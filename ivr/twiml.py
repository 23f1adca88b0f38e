"""Pure TwiML builders: a node, its language and values in, a VoiceResponse out. No database here.

Speech is slow and clear: every prompt is wrapped in SSML prosody at the
language's rate, and "|" in a prompt becomes a pause.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from twilio.twiml.voice_response import Recording, VoiceResponse

import voice_prompts as vp
from ivr.flow import Node, Option, prompt_keys

QUEUE_NAME = "hotline"
PAUSE = "700ms"
GATHER_TIMEOUT = 8  # seconds of silence before we count "no input": older callers need time
WAIT_PAUSE_SECONDS = 35  # with the announcements, one wait cycle lasts about 45 s


@dataclass(frozen=True)
class Urls:
    """Where Twilio posts the answer to this response (relative URLs of the app)."""

    action: str
    queue_done: str = "/ivr/queue-done"
    wait: str = "/ivr/wait"
    recording: str = "/ivr/recording"
    audio_base: str = "/static/voice_prompts/"


@dataclass
class Turn:
    """What the caller hears next: things to say first, then the node."""

    lang: str
    node: Node
    values: dict = field(default_factory=dict)
    options: tuple[Option, ...] = ()
    preamble: list[tuple[str, dict]] = field(default_factory=list)
    start_recording: str = ""  # recording name to start (the name prompt)
    stop_recording: str = ""  # recording name to stop


def say(parent, lang: str, key: str, values: dict | None = None, audio_base: str = "") -> None:
    """Add one prompt to `parent`: the recorded file if there is one, else slow SSML speech."""
    template = vp.catalogue(lang)["prompts"][key]
    recorded = vp.audio_file(lang, key)
    if recorded and not vp.placeholders(template):
        parent.play(audio_base + recorded)
        return
    speak(parent, lang, template.format(**(values or {})))


def speak(parent, lang: str, text: str) -> None:
    """Say `text` in the language's voice, slowly, with a pause at every '|'."""
    meta = vp.meta(lang)
    element = parent.say(voice=meta["voice"], language=meta["language"])
    parts = [p.strip() for p in text.split("|") if p.strip()]
    for i, part in enumerate(parts):
        if i:
            element.break_(time=PAUSE)
        element.prosody(part, rate=meta["rate"])


def render(turn: Turn, urls: Urls) -> VoiceResponse:
    """The TwiML for one turn of the call."""
    response = VoiceResponse()
    if turn.stop_recording:
        response.stop().nest(Recording(name=turn.stop_recording))
    for key, values in turn.preamble:
        say(response, turn.lang, key, values, urls.audio_base)
    kind = turn.node.kind
    if kind == "hangup":
        _say_node(response, turn, urls)
        response.hangup()
    elif kind == "queue":
        _say_node(response, turn, urls)
        enqueue(response, turn.lang, urls)
    else:
        _gather(response, turn, urls)
    return response


def _say_node(parent, turn: Turn, urls: Urls) -> None:
    for key, flag in prompt_keys(turn.node):
        if not flag or turn.values.get(flag):
            say(parent, turn.lang, key, turn.values, urls.audio_base)


def _gather(response: VoiceResponse, turn: Turn, urls: Urls) -> None:
    node, meta = turn.node, vp.meta(turn.lang)
    if turn.start_recording:
        response.start().recording(name=turn.start_recording, track="inbound",
                                   recording_status_callback=urls.recording,
                                   recording_status_callback_method="POST")
    options = dict(action=urls.action, method="POST", timeout=GATHER_TIMEOUT, finish_on_key="#")
    if node.kind == "menu":
        options["num_digits"] = 1
    elif node.digits:
        options["num_digits"] = node.digits
    if node.speech:
        options.update(input="dtmf speech", language=meta["language"], hints=meta["hints"],
                       speech_timeout="auto")
    else:
        options["input"] = "dtmf"
    gather = response.gather(**options)
    _say_node(gather, turn, urls)
    for option in turn.options:
        say(gather, option.lang or turn.lang, option.prompt, {"key": option.key}, urls.audio_base)
    if turn.node.prompts == ("main",):
        say(gather, turn.lang, "repeat_hint", {}, urls.audio_base)
    response.redirect(urls.action, method="POST")  # silence: the same step, without input


def enqueue(response: VoiceResponse, lang: str, urls: Urls) -> None:
    """Put the caller into the agent queue, with our wait announcements."""
    response.enqueue(QUEUE_NAME, action=f"{urls.queue_done}?l={lang}", method="POST",
                     wait_url=f"{urls.wait}?l={lang}", wait_url_method="POST")


def apology(lang: str, urls: Urls) -> VoiceResponse:
    """A short apology and a transfer to the agents; built without touching the database."""
    response = VoiceResponse()
    say(response, lang, "apology")
    enqueue(response, lang, urls)
    return response


def wait_music(lang: str, position: int | None, estimate_seconds: int | None, key_url: str,
               music_url: str | None = None) -> VoiceResponse:
    """What a waiting caller hears each cycle: position, honest estimate, the callback key, then music."""
    response = VoiceResponse()
    if position:
        say(response, lang, "wait_position", {"position": position})
    say(response, lang, *_estimate_prompt(estimate_seconds))
    gather = response.gather(input="dtmf", num_digits=1, action=key_url, method="POST", timeout=3)
    say(gather, lang, "wait_callback")
    if music_url:
        gather.play(music_url)
    else:
        gather.pause(length=WAIT_PAUSE_SECONDS)
    return response


def _estimate_prompt(seconds: int | None) -> tuple[str, dict]:
    if seconds is None:
        return "wait_unknown", {}
    if seconds < 120:
        return "wait_soon", {}
    return "wait_minutes", {"minutes": -(-seconds // 60)}


def leave() -> VoiceResponse:
    """Take the caller out of the queue (they asked for a callback)."""
    response = VoiceResponse()
    response.leave()
    return response


def spoken(lang: str, key: str, values: dict | None = None, hang_up: bool = True) -> VoiceResponse:
    """One prompt, then hang up (or go back to waiting)."""
    response = VoiceResponse()
    say(response, lang, key, values)
    if hang_up:
        response.hangup()
    return response


def back_to_waiting(urls: Urls, lang: str) -> VoiceResponse:
    """A wrong key while waiting: carry on waiting."""
    response = VoiceResponse()
    response.redirect(f"{urls.wait}?l={lang}", method="POST")
    return response

