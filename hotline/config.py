"""Configuration from the environment. Secrets have no default."""
from __future__ import annotations

import os
from pathlib import Path


EMBEDDED_ENV_FILE = "hotline.env"


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines written by `hotline demo` for the embedded setup; never built-in defaults."""
    if not path.is_file():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


class Config:
    """Production settings, read once from the environment."""

    def __init__(self) -> None:
        instance = Path(os.environ.get("HOTLINE_INSTANCE_DIR", "instance")).resolve()
        self.INSTANCE_DIR = str(instance)
        # The real environment wins over the embedded setup's file.
        self._env = read_env_file(instance / EMBEDDED_ENV_FILE) | dict(os.environ)
        self.DATABASE_URL = self._get("DATABASE_URL") or f"sqlite:///{instance / 'hotline.sqlite3'}"
        self.REDIS_URL = self._get("REDIS_URL") or None  # unset: jobs run in-process after commit
        self.SECRET_KEY = self._get("SECRET_KEY")
        self.TWILIO_ACCOUNT_SID = self._get("TWILIO_ACCOUNT_SID")
        self.TWILIO_AUTH_TOKEN = self._get("TWILIO_AUTH_TOKEN")
        self.TWILIO_FROM_NUMBER = self._get("TWILIO_FROM_NUMBER", "+4930123456789")
        # Only for a mock of Twilio's REST API (tests, Prism); empty means the real api.twilio.com.
        self.TWILIO_API_BASE_URL = self._get("TWILIO_API_BASE_URL") or None
        self.HOTLINE_PUBLIC_URL = (self._get("HOTLINE_PUBLIC_URL") or "http://localhost:5000").rstrip("/")
        self.TWILIO_VALIDATE_SIGNATURES = self._bool("TWILIO_VALIDATE_SIGNATURES", True)
        self.NOTIFY_BACKEND = self._get("NOTIFY_BACKEND", "twilio")  # twilio or log
        self.HOLD_SECONDS = self._int("HOTLINE_HOLD_SECONDS", 180)
        self.IVR_HOLD_MUSIC_URL = self._get("IVR_HOLD_MUSIC_URL") or None  # unset: silence while waiting
        self.CALLER_LIMIT = self._int("HOTLINE_CALLER_LIMIT", 3)
        self.RETENTION_DAYS = self._int("HOTLINE_RETENTION_DAYS", 14)
        self.COMPLETED_RETENTION_DAYS = self._int("HOTLINE_COMPLETED_RETENTION_DAYS", 30)
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        # Online API limits (Flask-Limiter syntax): per API client, and per end user the portal forwards.
        self.API_RATE_LIMIT_CLIENT = self._get("API_RATE_LIMIT_CLIENT", "1200/minute")
        self.API_RATE_LIMIT_END_USER = self._get("API_RATE_LIMIT_END_USER", "30/minute")
        self.SESSION_COOKIE_SECURE = self._bool("SESSION_COOKIE_SECURE", True)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.TESTING = False

    def _get(self, name: str, default: str | None = None) -> str | None:
        return self._env.get(name, default)

    def _bool(self, name: str, default: bool) -> bool:
        raw = self._get(name)
        return default if raw is None else raw.strip().lower() in ("1", "true", "yes", "on")

    def _int(self, name: str, default: int) -> int:
        raw = self._get(name)
        return default if raw in (None, "") else int(raw)

    def check(self) -> None:
        """Refuse to start without the secrets production needs."""
        missing = [k for k in ("SECRET_KEY", "TWILIO_AUTH_TOKEN") if not getattr(self, k)]
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
