"""Rate limits per API client and per forwarded end-user IP, in memory and on a real Redis."""
from __future__ import annotations

from hotline import config as hotline_config
from tests.online_api.support import assert_problem, headers, make_client

URL = "/api/v1/centres?postcode=33602"


def test_end_user_limit_is_per_forwarded_ip(limited_client, api_world):
    alice = headers(api_world, **{"X-End-User-IP": "203.0.113.7"})
    bob = headers(api_world, **{"X-End-User-IP": "2001:db8::1"})
    assert [limited_client.get(URL, headers=alice).status_code for _ in range(2)] == [200, 200]
    resp = limited_client.get(URL, headers=alice)
    body = assert_problem(resp, 429, "rate_limited")
    assert int(resp.headers["Retry-After"]) > 0 and body["detail"]
    assert limited_client.get(URL, headers=bob).status_code == 200


def test_client_limit_covers_all_end_users(limited_client, api_world):
    codes = [limited_client.get(URL, headers=headers(api_world, **{"X-End-User-IP": f"198.51.100.{i}"})).status_code
             for i in range(6)]
    assert codes == [200] * 5 + [429]


def test_requests_without_end_user_ip_count_only_for_the_client(limited_client, api_world):
    assert [limited_client.get(URL, headers=headers(api_world)).status_code for _ in range(6)] == [200] * 5 + [429]


def test_limits_are_kept_in_redis_when_configured(pg_url, redis_url, api_world):
    from redis import Redis

    app, client = make_client(pg_url, RATELIMIT_STORAGE_URI=redis_url, API_RATE_LIMIT_END_USER="1/minute")
    try:
        ip = {"X-End-User-IP": "192.0.2.44"}
        assert client.get(URL, headers=headers(api_world, **ip)).status_code == 200
        assert_problem(client.get(URL, headers=headers(api_world, **ip)), 429, "rate_limited")
        assert any(b"192.0.2.44" in k for k in Redis.from_url(redis_url).keys("*"))
        # A second web process sharing the Redis sees the same count.
        other_app, other = make_client(pg_url, RATELIMIT_STORAGE_URI=redis_url, API_RATE_LIMIT_END_USER="1/minute")
        assert_problem(other.get(URL, headers=headers(api_world, **ip)), 429, "rate_limited")
        other_app.extensions["services.db"].engine.dispose()
    finally:
        app.extensions["services.db"].engine.dispose()


def test_storage_follows_redis_url(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/12")
    assert hotline_config.Config().RATELIMIT_STORAGE_URI == "redis://127.0.0.1:6379/12"
    monkeypatch.delenv("REDIS_URL")
    assert hotline_config.Config().RATELIMIT_STORAGE_URI == "memory://"


def test_redis_outage_pauses_the_limits_not_the_api(pg_url, api_world):
    import socket

    with socket.socket() as probe:  # a port nobody listens on: Redis is "down"
        probe.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{probe.getsockname()[1]}/0"
    app, client = make_client(pg_url, RATELIMIT_STORAGE_URI=dead, API_RATE_LIMIT_END_USER="1/minute")
    try:
        ip = {"X-End-User-IP": "192.0.2.45"}
        assert [client.get(URL, headers=headers(api_world, **ip)).status_code for _ in range(3)] == [200, 200, 200]
    finally:
        app.extensions["services.db"].engine.dispose()
