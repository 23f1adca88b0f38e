"""Configuration, read once from the environment. Secrets have no default; nothing else reads the environment.

Every setting of the hotline is an attribute here (upper case, copied into the
Flask config by create_app and handed to the services for jobs). The booking
policy's defaults live in `shared_db.policy.Policy`; this class only reads the
environment's overrides of them.
"""
from __future__ import annotations

import os
from pathlib import Path

from shared_db.policy import DEFAULT_POLICY, Policy

EMBEDDED_ENV_FILE = "hotline.env"
SECRETS = ("SECRET_KEY", "TWILIO_AUTH_TOKEN")


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines written by `hotline demo` for the embedded setup; never built-in defaults."""
    if not path.is_file():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def instance_dir() -> Path:
    """Where the embedded setup keeps its database and settings (HOTLINE_INSTANCE_DIR, default ./instance)."""
    return Path(os.environ.get("HOTLINE_INSTANCE_DIR", "instance")).resolve()


class Config:
    """Production settings, read once from the environment (and the embedded setup's file)."""

    def __init__(self) -> None:
        self.TESTING = False
        instance = instance_dir()
        self.INSTANCE_DIR = str(instance)
        # The real environment wins over the embedded setup's file.
        self._env = read_env_file(instance / EMBEDDED_ENV_FILE) | dict(os.environ)
        self._infrastructure(instance)
        self._twilio()
        self._booking()
        self._jobs()
        self._web()

    def _infrastructure(self, instance: Path) -> None:
        self.DATABASE_URL = self._get("DATABASE_URL") or f"sqlite:///{instance / 'hotline.sqlite3'}"
        self.REDIS_URL = self._get("REDIS_URL") or None  # unset: jobs run in-process after commit
        self.SECRET_KEY = self._get("SECRET_KEY")
        self.HOTLINE_PUBLIC_URL = (self._get("HOTLINE_PUBLIC_URL") or "http://localhost:5000").rstrip("/")

    def _twilio(self) -> None:
        self.TWILIO_ACCOUNT_SID = self._get("TWILIO_ACCOUNT_SID")
        self.TWILIO_AUTH_TOKEN = self._get("TWILIO_AUTH_TOKEN")
        self.TWILIO_FROM_NUMBER = self._get("TWILIO_FROM_NUMBER", "+4930123456789")
        # Only for a mock of Twilio's REST API (tests, Prism); empty means the real api.twilio.com.
        self.TWILIO_API_BASE_URL = self._get("TWILIO_API_BASE_URL") or None
        self.TWILIO_VALIDATE_SIGNATURES = self._bool("TWILIO_VALIDATE_SIGNATURES", True)
        self.TWILIO_TIMEOUT_SECONDS = float(self._get("HOTLINE_TWILIO_TIMEOUT") or 15)
        self.NOTIFY_BACKEND = self._get("NOTIFY_BACKEND", "twilio")  # twilio or log
        # The demo's in-process Twilio for the console's calls (services/twilio_standin.py); never in production.
        self.TWILIO_STANDIN = self._bool("TWILIO_STANDIN", False)
        self.IVR_HOLD_MUSIC_URL = self._get("IVR_HOLD_MUSIC_URL") or None  # unset: silence while waiting
        self.VOICES = {lang: self._get(f"HOTLINE_VOICE_{lang.upper()}") for lang in ("de", "en", "tr")}

    def _booking(self) -> None:
        self.POLICY = Policy(
            hold_seconds=self._int("HOTLINE_HOLD_SECONDS", DEFAULT_POLICY.hold_seconds),
            caller_limit=self._int("HOTLINE_CALLER_LIMIT", DEFAULT_POLICY.caller_limit),
            retention_days=self._int("HOTLINE_RETENTION_DAYS", DEFAULT_POLICY.retention_days),
            completed_retention_days=self._int("HOTLINE_COMPLETED_RETENTION_DAYS",
                                               DEFAULT_POLICY.completed_retention_days),
            phone_release_hours=self._int("HOTLINE_PHONE_RELEASE_HOURS", DEFAULT_POLICY.phone_release_hours),
            hotline_number=self._get("HOTLINE_PHONE_NUMBER", DEFAULT_POLICY.hotline_number),
        )

    def _jobs(self) -> None:
        self.SEND_LEASE_SECONDS = self._int("HOTLINE_SEND_LEASE_SECONDS", 0) or None  # None: the outbox's default
        backoff = self._get("HOTLINE_SEND_BACKOFF")
        self.SEND_BACKOFF = tuple(int(x) for x in backoff.split(",")) if backoff else None
        self.SWEEP_SECONDS = {
            "holds": self._int("HOTLINE_HOLD_SWEEP_SECONDS", 60),
            "outbox": self._int("HOTLINE_OUTBOX_SWEEP_SECONDS", 60),
            "quota": self._int("HOTLINE_QUOTA_SWEEP_SECONDS", 300),
            "reminders": self._int("HOTLINE_REMINDER_SWEEP_SECONDS", 900),
        }
        self.PURGE_CRON = self._get("HOTLINE_PURGE_CRON", "30 2 * * *")
        # E-mail (invitations, opening notices): a plain SMTP server; unset host means e-mail is only logged.
        self.SMTP_HOST = self._get("SMTP_HOST") or None
        self.SMTP_PORT = self._int("SMTP_PORT", 587)
        self.SMTP_USER = self._get("SMTP_USER") or None
        self.SMTP_PASSWORD = self._get("SMTP_PASSWORD") or None
        self.SMTP_STARTTLS = self._bool("SMTP_STARTTLS", True)
        self.SMTP_FROM = self._get("SMTP_FROM", "Impfhotline <impfhotline@example.org>")
        self.SMTP_TIMEOUT_SECONDS = float(self._get("SMTP_TIMEOUT_SECONDS") or 15)

    def _web(self) -> None:
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        # Online API limits (Flask-Limiter syntax): per API client, and per end user the portal forwards.
        self.API_RATE_LIMIT_CLIENT = self._get("API_RATE_LIMIT_CLIENT", "1200/minute")
        self.API_RATE_LIMIT_END_USER = self._get("API_RATE_LIMIT_END_USER", "30/minute")
        # The waiting room for new holds (services/waiting_room.py): tickets let in per second, in order, across
        # every web host. 25/s is what one machine of the benchmark's size books (docs/PERFORMANCE.md); 0 turns it off.
        self.WAITING_ROOM_RATE = float(self._get("HOTLINE_WAITING_ROOM_RATE") or 25)
        self.WAITING_ROOM_BURST = self._int("HOTLINE_WAITING_ROOM_BURST", 50)
        self.SESSION_COOKIE_SECURE = self._bool("SESSION_COOKIE_SECURE", True)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.CONSOLE_IDLE_MINUTES = self._int("CONSOLE_IDLE_MINUTES", 30)
        self.CONSOLE_MAX_FAILED_LOGINS = self._int("CONSOLE_MAX_FAILED_LOGINS", 5)
        self.CONSOLE_LOCKOUT_MINUTES = self._int("CONSOLE_LOCKOUT_MINUTES", 15)
        self.CONSOLE_LOGIN_RATE = self._get("CONSOLE_LOGIN_RATE", "20/5minute")
        self.CONSOLE_WALLBOARD_POLL_SECONDS = self._int("CONSOLE_WALLBOARD_POLL_SECONDS", 5)
        # Set under gunicorn (Procfile): prometheus-client keeps each worker's figures there; a scrape adds them up.
        self.PROMETHEUS_MULTIPROC_DIR = self._get("PROMETHEUS_MULTIPROC_DIR") or None

    def _get(self, name: str, default: str | None = None) -> str | None:
        return self._env.get(name, default)

    def _bool(self, name: str, default: bool) -> bool:
        raw = self._get(name)
        return default if raw is None else raw.strip().lower() in ("1", "true", "yes", "on")

    def _int(self, name: str, default: int) -> int:
        raw = self._get(name)
        return default if raw in (None, "") else int(raw)

    def check(self) -> None:
        """Refuse to start without the secrets production needs (`hotline demo` generates its own)."""
        missing = [k for k in SECRETS if not getattr(self, k)]
        if missing:
            raise RuntimeError(f"missing settings in the environment: {', '.join(missing)}")

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k.isupper()}


class TestConfig(Config):
    """Settings for the test suite: a given database, known secrets, no secure-only cookies."""

    def __init__(self, database_url: str, **overrides) -> None:
        super().__init__()
        self.DATABASE_URL = database_url
        self.REDIS_URL = None
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.WAITING_ROOM_RATE = 0.0  # off unless a test of the room turns it on
        self.SECRET_KEY = "test-secret"
        self.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
        self.TWILIO_AUTH_TOKEN = "test-auth-token"
        self.HOTLINE_PUBLIC_URL = "https://hotline.example.org"
        self.NOTIFY_BACKEND = "log"
        self.SESSION_COOKIE_SECURE = False
        self.WTF_CSRF_ENABLED = True
        self.TESTING = True
        for key, value in overrides.items():
            setattr(self, key, value)
