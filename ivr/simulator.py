"""A simulated phone call: signs each request exactly as Twilio does and follows the TwiML.

Used by `hotline call` (in-process through the Flask test client, or against
a running server with --url) and by the tests. What the caller hears is the text
of every <Say> ("[audio: file]" for <Play>); input is a key press, speech or silence.
"""
from __future__ import annotations

import secrets
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

from twilio.request_validator import RequestValidator


class CallError(Exception):
    """The server answered something Twilio would not accept."""


@dataclass
class Answer:
    """One parsed TwiML response."""

    root: ET.Element
    status: int

    def heard(self) -> str:
        """Everything said or played, in order, as one line of text."""
        parts = []
        for element in self.root.iter():
            if element.tag == "Say":
                parts.append(" ".join(" ".join(element.itertext()).split()))
            elif element.tag == "Play":
                parts.append(f"[audio: {(element.text or '').strip()}]")
        return " ".join(p for p in parts if p)

    def find(self, tag: str) -> ET.Element | None:
        return self.root.find(f".//{tag}")

    @property
    def gather(self) -> ET.Element | None:
        return self.find("Gather")

    @property
    def ended(self) -> bool:
        return self.find("Hangup") is not None or (self.gather is None and self.find("Redirect") is None
                                                   and self.find("Enqueue") is None and self.find("Leave") is None)


def flask_transport(client) -> Callable[[str, dict, dict], tuple[int, str, str]]:
    """Post through a Flask test client (the app in-process)."""
    def post(path: str, params: dict, headers: dict) -> tuple[int, str, str]:
        response = client.post(path, data=params, headers=headers)
        return response.status_code, response.content_type or "", response.get_data(as_text=True)
    return post


def http_transport(base_url: str, timeout: float = 15.0) -> Callable[[str, dict, dict], tuple[int, str, str]]:
    """Post to a running server."""
    def post(path: str, params: dict, headers: dict) -> tuple[int, str, str]:
        data = urllib.parse.urlencode(params).encode()
        req = urllib.request.Request(base_url.rstrip("/") + path, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, resp.headers.get("Content-Type", ""), resp.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.headers.get("Content-Type", ""), err.read().decode(errors="replace")
    return post


@dataclass
class Call:
    """One simulated call from `from_number` to the hotline."""

    post: Callable[[str, dict, dict], tuple[int, str, str]]
    public_url: str
    auth_token: str
    from_number: str = "+49521123456"
    to_number: str = "+4952155555555"
    call_sid: str = field(default_factory=lambda: "CA" + secrets.token_hex(16))
    last: Answer | None = None
    transcript: list[tuple[str, str]] = field(default_factory=list)
    queue: dict = field(default_factory=dict)  # the last <Enqueue>'s action and wait URL

    def request(self, path: str, **extra) -> Answer:
        """POST a signed webhook request as Twilio would, and parse the TwiML answer."""
        params = {"CallSid": self.call_sid, "AccountSid": "AC" + "0" * 32, "From": self.from_number,
                  "To": self.to_number, "CallStatus": "in-progress", "Direction": "inbound",
                  "ApiVersion": "2010-04-01"}
        params.update({k: v for k, v in extra.items() if v is not None})
        url = urllib.parse.urljoin(self.public_url + "/", path.lstrip("/"))
        signature = RequestValidator(self.auth_token).compute_signature(url, params)
        status, content_type, body = self.post(path, params, {"X-Twilio-Signature": signature})
        if status != 200 or "xml" not in content_type:
            raise CallError(f"{path} answered HTTP {status} ({content_type}): {body[:200]}")
        try:
            return Answer(ET.fromstring(body), status)
        except ET.ParseError as exc:
            raise CallError(f"{path} answered invalid XML: {exc}") from exc

    def _turn(self, path: str, said: str, **extra) -> Answer:
        self.last = self.request(path, **extra)
        self.transcript.append((said, self.last.heard()))
        enqueue = self.last.find("Enqueue")
        if enqueue is not None:
            self.queue = {"action": enqueue.get("action"), "wait": enqueue.get("waitUrl")}
        return self.last

    def dial(self) -> Answer:
        """The call comes in."""
        return self._turn("/ivr/voice", "(ring)", CallStatus="ringing")

    def press(self, digits: str) -> Answer:
        """Type keys at the current question."""
        return self._turn(self._action(), digits, Digits=digits)

    def say(self, speech: str, confidence: str = "0.9") -> Answer:
        """Speak at the current question."""
        return self._turn(self._action(), f'"{speech}"', SpeechResult=speech, Confidence=confidence)

    def silence(self) -> Answer:
        """Say nothing: Twilio falls through the Gather to our Redirect."""
        redirect = self.last.find("Redirect") if self.last is not None else None
        if redirect is None:
            raise CallError("nothing to wait for: the call has no Redirect")
        return self._turn(redirect.text.strip(), "(silence)")

    def wait_in_queue(self, position: int = 1) -> Answer:
        """One cycle of the Enqueue wait URL."""
        if not self.queue:
            raise CallError("the caller is not in the queue")
        return self._turn(self.queue["wait"], "(waiting)", QueuePosition=str(position), QueueTime="30",
                          CurrentQueueSize=str(position), AvgQueueTime="0")

    def press_while_waiting(self, digits: str) -> Answer:
        """A key during the wait music; when that takes us out of the queue, Twilio calls the Enqueue action."""
        answer = self._turn(self._action(), digits, Digits=digits)
        if answer.find("Leave") is not None:
            return self._turn(self.queue["action"], "(left the queue)", QueueResult="leave", QueueTime="40")
        return answer

    def hang_up(self, status: str = "completed") -> Answer:
        """The caller hangs up: Twilio posts the status callback."""
        return self.request("/ivr/status", CallStatus=status, CallDuration="60")

    def _action(self) -> str:
        gather = self.last.gather if self.last is not None else None
        if gather is None:
            heard = self.last.heard() if self.last else ""
            raise CallError(f"the call is not waiting for input now; last heard: {heard}")
        return gather.get("action")


# --------------------------------------------------------------------------- scripts


def parse_script(text: str) -> list[tuple[str, str]]:
    """Lines 'verb: argument' (press, say, expect, silence, wait, hangup); '#' starts a comment."""
    steps = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        verb, _, arg = line.partition(":")
        verb = verb.strip().lower()
        if verb not in ("press", "say", "expect", "silence", "wait", "hangup", "wait-press"):
            raise ValueError(f"line {number}: unknown step {verb!r}")
        steps.append((verb, arg.strip()))
    return steps


def run_script(call: Call, steps: list[tuple[str, str]], echo: Callable[[str], None] = print) -> list[str]:
    """Run a scripted call; returns the mismatches (empty when every expected phrase was heard)."""
    problems: list[str] = []
    answer = call.dial()
    echo(f"caller hears: {answer.heard()}")
    for verb, arg in steps:
        if verb == "expect":
            if arg.lower() not in answer.heard().lower():
                problems.append(f"expected {arg!r}, heard: {answer.heard()}")
                echo(f"MISMATCH: expected {arg!r}")
                break
            continue
        answer = _act(call, verb, arg)
        if answer is None:
            break
        echo(f"caller: {verb} {arg}".rstrip() + f"\ncaller hears: {answer.heard()}")
    if not (call.last and call.last.find("Hangup") is not None):
        call.hang_up()
    return problems


def _act(call: Call, verb: str, arg: str) -> Answer | None:
    if verb == "press":
        return call.press(arg)
    if verb == "say":
        return call.say(arg)
    if verb == "silence":
        return call.silence()
    if verb == "wait":
        return call.wait_in_queue(int(arg or 1))
    if verb == "wait-press":
        return call.press_while_waiting(arg)
    call.hang_up()
    return None


def interactive(call: Call, echo: Callable[[str], None], ask: Callable[..., str]) -> None:
    """Let a person at the terminal be the caller: keys, 'say ...', empty for silence, 'q' to hang up."""
    answer = call.dial()
    while True:
        echo(f"\n  {answer.heard()}")
        if answer.find("Enqueue") is not None:
            echo("  [in the agent queue: 'w' hears the wait announcement, a key answers it]")
        elif answer.ended:
            call.hang_up()
            echo("  [call ended]")
            return
        entry = ask("keys / say TEXT / empty = silence / q = hang up", default="", show_default=False).strip()
        if entry == "q":
            call.hang_up()
            return
        answer = _interactive_step(call, entry)


def _interactive_step(call: Call, entry: str) -> Answer:
    if entry == "w":
        return call.wait_in_queue()
    if call.queue and call.last.gather is not None and call.last.find("Enqueue") is None:
        return call.press_while_waiting(entry)
    if entry.startswith("say "):
        return call.say(entry[4:])
    return call.press(entry) if entry else call.silence()
