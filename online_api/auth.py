"""Who is calling: the portal's API key, the end user's IP it forwards, and the rate limits on both."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from flask import Flask, current_app, g, request
from flask_limiter import Limiter

from online_api.openapi import API_KEY_HEADER, END_USER_IP_HEADER
from services import db
from shared_db.access.api_clients import authenticate

DEFAULT_CLIENT_LIMIT = "1200/minute"
DEFAULT_END_USER_LIMIT = "30/minute"


@dataclass(frozen=True)
class ClientRef:
    """The authenticated client, detached from any session."""

    id: int
    name: str

    @property
    def actor(self) -> str:
        """How bookings record this client."""
        return f"api:{self.id}"


def current_client() -> ClientRef | None:
    """The client whose key came with this request, or None (looked up once per request)."""
    if "api_client" not in g:
        session = db.session()
        with session.begin():
            client = authenticate(session, request.headers.get(API_KEY_HEADER))
            g.api_client = ClientRef(client.id, client.name) if client else None
    return g.api_client


def end_user_ip() -> str | None:
    """The end user's address the portal forwarded, normalised; None when absent or not an IP address."""
    raw = request.headers.get(END_USER_IP_HEADER)
    if not raw:
        return None
    try:
        return str(ipaddress.ip_address(raw.strip()))
    except ValueError:
        return None


def client_key() -> str:
    """Rate-limit bucket of the client; requests without a valid key share one per remote address."""
    client = current_client()
    return f"client:{client.id}" if client else f"anonymous:{request.remote_addr}"


def end_user_key() -> str:
    """Rate-limit bucket of one end user of one client."""
    client = current_client()
    return f"client:{client.id if client else '-'}:ip:{end_user_ip()}"


def init_limiter(app: Flask, blueprint) -> Limiter:
    """One limiter per app: per client for the whole API, and per forwarded end-user IP."""
    redis = app.config.get("RATELIMIT_STORAGE_URI", "memory://").startswith(("redis", "rediss"))
    limiter = Limiter(client_key, app=app, storage_uri=app.config.get("RATELIMIT_STORAGE_URI", "memory://"),
                      storage_options={"socket_connect_timeout": 1, "socket_timeout": 1} if redis else {},
                      key_prefix="hotline-api", headers_enabled=True,
                      # A Redis outage must not take the booking API down; the limits pause instead.
                      swallow_errors=True)
    limiter.shared_limit(lambda: current_app.config.get("API_RATE_LIMIT_CLIENT", DEFAULT_CLIENT_LIMIT),
                         scope="api-client", key_func=client_key)(blueprint)
    limiter.shared_limit(lambda: current_app.config.get("API_RATE_LIMIT_END_USER", DEFAULT_END_USER_LIMIT),
                         scope="api-end-user", key_func=end_user_key,
                         exempt_when=lambda: end_user_ip() is None)(blueprint)
    app.extensions["hotline.api_limiter"] = limiter
    return limiter
