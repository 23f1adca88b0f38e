"""The process's wiring, set once by the composition root: settings, the jobs' database, the policy.

Web requests read `current_app.config`; code that runs outside a request (rq jobs,
the in-process job runner, the worker, the sweep) reads the same settings here.
`hotline.create_app` calls `configure`; nothing here reads the environment.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from shared_db.policy import DEFAULT_POLICY, Policy
from shared_db.session import make_engine, make_sessionmaker

_state: dict[str, Any] = {"settings": None, "sessions": None, "generation": 0}


class NotConfigured(RuntimeError):
    """A job ran in a process whose composition root never configured the services."""


def configure(settings: Mapping[str, Any], sessions: sessionmaker[Session] | None = None) -> None:
    """Remember the settings and the sessionmaker jobs use (an app's own, or one made from DATABASE_URL)."""
    settings = dict(settings)
    if sessions is None:
        sessions = make_sessionmaker(make_engine(settings["DATABASE_URL"]))
    _state.update(settings=settings, sessions=sessions, generation=_state["generation"] + 1)


def settings() -> Mapping[str, Any]:
    """The configured settings; NotConfigured when no composition root ran in this process."""
    if _state["settings"] is None:
        raise NotConfigured("services are not configured: build the app with hotline.create_app() first")
    return _state["settings"]


def setting(name: str, default: Any = None) -> Any:
    """One setting, or `default` when it is not set."""
    return settings().get(name, default)


def policy() -> Policy:
    """The booking policy of this deployment."""
    return settings().get("POLICY") or DEFAULT_POLICY


def job_sessions() -> sessionmaker[Session]:
    """The sessionmaker jobs open their own sessions from."""
    settings()
    return _state["sessions"]


def serves(session: Session) -> bool:
    """True when `session` works on the database this process's jobs use (messages it writes are ours to send)."""
    sessions = _state["sessions"]
    if sessions is None:
        return False
    try:
        return session.get_bind().url == sessions.kw["bind"].url
    except Exception:  # noqa: BLE001 - an unbound session is not ours
        return False


def generation() -> int:
    """Changes whenever the wiring is configured again, so caches built from it know to rebuild."""
    return _state["generation"]
