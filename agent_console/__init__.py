"""agent_console: the agents' console and the supervisors' wallboard at /console/.

Server-rendered pages (German first, English and Turkish switchable), Flask-Login
sessions with an idle timeout, CSRF on every form, rate-limited logins with a
lockout, and roles: supervisor pages need the supervisor (or admin) role.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the console's routes, login handling, CSRF and templates on the app."""
    from agent_console import (  # noqa: F401
        auth,
        calls_views,
        centre_views,
        eligibility_views,
        fill_views,
        i18n,
        people_views,
        supervisor_views,
        supply_views,
        twiml_views,
        visit_views,
    )
    from agent_console.blueprint import bp

    _defaults(app)
    auth.init_app(app)
    i18n.init_app(app)
    app.register_blueprint(bp)


def _defaults(app: Flask) -> None:
    """Flask extension settings the console relies on (its own CONSOLE_* settings come from Config)."""
    # The console checks CSRF itself (agent_console.auth); Twilio and API posts carry no CSRF token.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the login session
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config.get("SESSION_COOKIE_SECURE", True))
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
