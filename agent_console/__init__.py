"""agent_console: the agents' console and the supervisors' wallboard at /console/.

Server-rendered pages (German first, English and Turkish switchable), Flask-Login
sessions with an idle timeout, CSRF on every form, rate-limited logins with a
lockout, and roles: supervisor pages need the supervisor (or admin) role.
"""
from __future__ import annotations

import os

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the console's routes, login handling, CSRF and templates on the app."""
    from agent_console import auth, i18n
    from agent_console.blueprint import bp
    from agent_console import calls_views, fill_views, people_views, supervisor_views, twiml_views  # noqa: F401

    _defaults(app)
    auth.init_app(app)
    i18n.init_app(app)
    app.register_blueprint(bp)


def _defaults(app: Flask) -> None:
    """Console settings, overridable from the environment (see README)."""
    env = os.environ.get
    app.config.setdefault("CONSOLE_IDLE_MINUTES", int(env("CONSOLE_IDLE_MINUTES", "30")))
    app.config.setdefault("CONSOLE_MAX_FAILED_LOGINS", int(env("CONSOLE_MAX_FAILED_LOGINS", "5")))
    app.config.setdefault("CONSOLE_LOCKOUT_MINUTES", int(env("CONSOLE_LOCKOUT_MINUTES", "15")))
    app.config.setdefault("CONSOLE_LOGIN_RATE", env("CONSOLE_LOGIN_RATE", "20/5minute"))
    app.config.setdefault("CONSOLE_WALLBOARD_POLL_SECONDS", int(env("CONSOLE_WALLBOARD_POLL_SECONDS", "5")))
    # The console checks CSRF itself (agent_console.auth); Twilio and API posts carry no CSRF token.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the login session
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config.get("SESSION_COOKIE_SECURE", True))
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
