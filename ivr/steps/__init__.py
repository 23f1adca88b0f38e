"""Steps: the database work behind the phone tree's "@action" targets and entry handlers.

Each step takes the call's Context (session, call data, clock, policy) and
returns the next target. Entry handlers raise Retry to have the caller try again.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from shared_db.models import CallSession
from shared_db.people import is_mobile
from shared_db.policy import Policy

ACTIONS: dict[str, Callable] = {}
HANDLERS: dict[str, Callable] = {}
CONDITIONS: dict[str, Callable] = {}


class Retry(Exception):
    """The input cannot be used: say `prompt`, then ask again (at `state`, or the same question)."""

    def __init__(self, prompt: str = "not_understood", state: str | None = None, **values):
        super().__init__(prompt)
        self.prompt, self.state, self.values = prompt, state, values


@dataclass
class Context:
    """One request's view of the call."""

    session: Session
    call: CallSession
    data: dict
    now: datetime
    policy: Policy  # the deployment's booking policy (steps never import Flask)
    preamble: list = field(default_factory=list)

    @property
    def lang(self) -> str:
        return self.data.get("lang", "de")

    @property
    def caller(self) -> str | None:
        """The caller's number in E.164, or None when withheld or not a phone number."""
        return self.call.from_number

    @property
    def actor(self) -> str:
        return f"call:{self.call.call_sid}"

    def note(self, prompt: str, **values) -> None:
        """Say `prompt` before the next question."""
        self.preamble.append((prompt, values))


def action(name: str):
    """Register a step reachable as "@name" from the tree."""
    def register(fn):
        ACTIONS[name] = fn
        return fn
    return register


def handler(name: str):
    """Register an entry handler (takes the typed or spoken input)."""
    def register(fn):
        HANDLERS[name] = fn
        return fn
    return register


def condition(name: str):
    """Register a condition under which an option is offered."""
    def register(fn):
        CONDITIONS[name] = fn
        return fn
    return register


@condition("mobile")
def _mobile(ctx: Context) -> bool:
    return is_mobile(ctx.caller)


@condition("has_number")
def _has_number(ctx: Context) -> bool:
    return ctx.caller is not None


@condition("other_centres")
def _other_centres(ctx: Context) -> bool:
    return len(ctx.data.get("centres", [])) > 1


@condition("other_vaccines")
def _other_vaccines(ctx: Context) -> bool:
    """The rules allow this caller more than one vaccine: they may ask for another."""
    return len(ctx.data.get("vaccines", [])) > 1


def load_all() -> None:
    """Import the step modules so that they register themselves."""
    from ivr.steps import booking, manage, people  # noqa: F401
