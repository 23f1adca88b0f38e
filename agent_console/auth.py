"""Sign-in for the console: Flask-Login sessions, idle timeout, CSRF, rate limit and lockout, roles."""
from __future__ import annotations

import logging
import secrets
import time
from datetime import timedelta
from functools import wraps

from flask import (
    Flask,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as cookie
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from agent_console.blueprint import bp
from agent_console.helpers import now, work
from agent_console.i18n import t
from shared_db.access.accounts import password_matches
from shared_db.models import User

log = logging.getLogger(__name__)
csrf = CSRFProtect()
login_manager = LoginManager()
PUBLIC_ENDPOINTS = {"console.login", "console.static", "console.set_language"}
SUPERVISOR_ROLES = ("supervisor", "admin")
CENTRE_STAFF_ENDPOINTS = {"console.checkin", "console.checkin_give", "console.checkin_turn_away",
                          "console.checkin_reopen", "console.logout", "console.set_language", "console.static"}
SEEN_EVERY_SECONDS = 60
_dummy_hash: list[str] = []  # a scrypt hash of a random string, so unknown names cost as much time


class ConsoleUser:
    """The signed-in user as Flask-Login sees it: plain values, no database object."""

    is_authenticated, is_active, is_anonymous = True, True, False

    def __init__(self, user: User) -> None:
        self.id, self.username, self.display_name = user.id, user.username, user.display_name
        self.role, self.phone, self.status = user.role, user.phone, user.status
        self.centre_id = user.centre_id

    def get_id(self) -> str:
        return str(self.id)

    @property
    def is_supervisor(self) -> bool:
        return self.role in SUPERVISOR_ROLES


def init_app(app: Flask) -> None:
    """Wire Flask-Login, CSRF and the login rate limiter into the app."""
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "console.login"
    login_manager.session_protection = "basic"
    app.extensions["console.login_limiter"] = (
        MovingWindowRateLimiter(storage_from_string(app.config["RATELIMIT_STORAGE_URI"])),
        parse(app.config["CONSOLE_LOGIN_RATE"]))


@login_manager.user_loader
def load_user(user_id: str) -> ConsoleUser | None:
    if not user_id.isdigit():
        return None
    with work() as s:
        user = s.get(User, int(user_id))
        return ConsoleUser(user) if user is not None and user.active else None


@login_manager.unauthorized_handler
def unauthorized():
    return redirect(url_for("console.login", next=request.full_path if request.method == "GET" else None))


@bp.before_request
def guard():
    """Every console page needs a live login; every form needs its CSRF token."""
    if request.endpoint and request.endpoint.startswith("console.twiml_"):
        return None  # Twilio's webhooks: checked by signature instead
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role == "centre" and request.endpoint not in CENTRE_STAFF_ENDPOINTS:
        if request.endpoint == "console.home":
            return redirect(url_for("console.checkin"))
        abort(403)  # centre staff see their centre's check-in, not the call centre's people and queue
    if _idle_too_long():
        _sign_out()
        cookie["console_notice"] = "session_expired"
        return redirect(url_for("console.login"))
    _touch()
    return None


def _idle_too_long() -> bool:
    seen = cookie.get("console_seen", 0)
    return time.time() - seen > current_app.config["CONSOLE_IDLE_MINUTES"] * 60


def _touch() -> None:
    """Keep the session alive and, once a minute, tell the wallboard the agent is here."""
    stamp = time.time()
    cookie["console_seen"] = stamp
    if stamp - cookie.get("console_db_seen", 0) > SEEN_EVERY_SECONDS:
        cookie["console_db_seen"] = stamp
        with work() as s:
            user = s.get(User, int(current_user.id))
            user.last_seen_at = now()
            if user.status == "offline":
                user.status = "ready"


def supervisor_required(view):
    """Supervisor pages: 403 for agents."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_supervisor:
            abort(403)
        return view(*args, **kwargs)
    return wrapper


@bp.app_errorhandler(CSRFError)
def csrf_failed(error):
    if not request.path.startswith("/console"):
        return error
    return render_template("console/error.html", code=400, message=t("error.csrf")), 400


@bp.errorhandler(403)
def forbidden(_error):
    return render_template("console/error.html", code=403, message=t("error.forbidden")), 403


@bp.errorhandler(404)
def not_found(_error):
    return render_template("console/error.html", code=404, message=t("error.not_found")), 404


# --------------------------------------------------------------------------- sign in and out


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(url_for("console.home"))
        notice = cookie.pop("console_notice", None)
        return render_template("console/login.html", error=t(f"login.{notice}") if notice else None)
    if not _within_rate():
        return render_template("console/login.html", error=t("login.rate_limited")), 429
    username = request.form.get("username", "").strip()
    outcome, user = _check_credentials(username, request.form.get("password", ""))
    if outcome != "ok":
        log.info("console login refused (%s)", outcome)
        status = 423 if outcome == "locked" else 401
        return render_template("console/login.html", error=t(f"login.{outcome}"), username=username), status
    cookie.clear()  # a fresh session after sign-in: no fixation
    login_user(user)
    cookie["console_seen"] = cookie["console_db_seen"] = time.time()
    return redirect(_safe_next(request.args.get("next")) or url_for("console.home"))


def _within_rate() -> bool:
    limiter, rate = current_app.extensions["console.login_limiter"]
    return limiter.hit(rate, "console-login", request.remote_addr or "-")


def _check_credentials(username: str, password: str) -> tuple[str, ConsoleUser | None]:
    """ok, failed or locked; failures count towards a lockout, success resets the count."""
    at = now()
    with work() as s:
        user = s.scalar(select(User).where(User.username == username).with_for_update())
        if user is None or not user.active:
            password_matches(User(password_hash=_dummy()), password)
            return "failed", None
        if user.locked_until and user.locked_until > at:
            return "locked", None
        if not password_matches(user, password):
            user.failed_logins += 1
            if user.failed_logins >= current_app.config["CONSOLE_MAX_FAILED_LOGINS"]:
                user.locked_until = at + timedelta(minutes=current_app.config["CONSOLE_LOCKOUT_MINUTES"])
                user.failed_logins = 0
                return "locked", None
            return "failed", None
        user.failed_logins, user.locked_until = 0, None
        user.status, user.last_seen_at = "ready", at
        return "ok", ConsoleUser(user)


def _dummy() -> str:
    if not _dummy_hash:
        _dummy_hash.append(generate_password_hash(secrets.token_hex(16), method="scrypt"))
    return _dummy_hash[0]


def _safe_next(target: str | None) -> str | None:
    """Only local console paths are followed after sign-in (no open redirect)."""
    if target and target.startswith("/console/") and not target.startswith("//"):
        return target
    return None


@bp.route("/logout", methods=["POST"])
def logout():
    _sign_out()
    return redirect(url_for("console.login"))


def _sign_out() -> None:
    if current_user.is_authenticated:
        with work() as s:
            user = s.get(User, int(current_user.id))
            if user is not None:
                user.status = "offline"
    logout_user()
    cookie.pop("console_seen", None)
    g.pop("_login_user", None)
