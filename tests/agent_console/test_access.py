"""Access rules of the console: login everywhere, roles, CSRF, lockout, rate limit, idle timeout, escaping."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from shared_db.models import User
from shared_db.session import transaction
from tests.agent_console.support import PASSWORDS, csrf_of, post, sign_in

SAMPLE_ARGS = {"person_id": 1, "booking_id": 1, "entry_id": 1, "request_id": 1, "task_id": 1, "centre_id": 1,
               "filename": "console.css", "kind": "person", "target_id": 1, "message_id": 1}
PUBLIC = {"console.login", "console.static", "console.set_language"}
TWIML = {"console.twiml_connect", "console.twiml_bridge"}


def console_rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("console.")]


def url_of(app, rule) -> str:
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{k: SAMPLE_ARGS[k] for k in rule.arguments})


def test_every_console_page_redirects_to_login_when_signed_out(console):
    client = console.test_client()
    checked = 0
    for rule in console_rules(console):
        if rule.endpoint in PUBLIC | TWIML or "GET" not in rule.methods:
            continue
        response = client.get(url_of(console, rule))
        assert response.status_code == 302, rule.rule
        assert "/console/login" in response.headers["Location"], rule.rule
        checked += 1
    assert checked >= 15


def test_every_console_action_is_refused_when_signed_out(console):
    client = console.test_client()
    token = csrf_of(client)
    for rule in console_rules(console):
        if rule.endpoint in PUBLIC | TWIML or "POST" not in rule.methods:
            continue
        response = client.post(url_of(console, rule), data={"csrf_token": token})
        assert response.status_code == 302 and "/console/login" in response.headers["Location"], rule.rule


def test_agent_gets_403_on_every_supervisor_page(agent, console):
    supervisor_rules = [r for r in console_rules(console) if r.rule.startswith("/console/supervisor/")]
    assert len(supervisor_rules) >= 6
    for rule in supervisor_rules:
        method = "get" if "GET" in rule.methods else "post"
        data = {"csrf_token": agent.token} if method == "post" else None
        response = getattr(agent, method)(url_of(console, rule), data=data)
        assert response.status_code == 403, rule.rule


def test_supervisor_reaches_supervisor_pages(supervisor):
    for path in ("/console/supervisor/wallboard", "/console/supervisor/phantoms", "/console/supervisor/settings",
                 "/console/supervisor/wallboard.json", "/console/supervisor/report.csv"):
        assert supervisor.get(path).status_code == 200, path


def test_post_without_csrf_token_fails(agent, console):
    for rule in console_rules(console):
        if "POST" not in rule.methods or rule.endpoint in TWIML:
            continue
        response = agent.post(url_of(console, rule), data={})
        assert response.status_code == 400, rule.rule
    bad = agent.post("/console/status", data={"csrf_token": "forged", "status": "busy"})
    assert bad.status_code == 400


def test_login_without_csrf_fails(console):
    client = console.test_client()
    response = client.post("/console/login", data={"username": "agent", "password": PASSWORDS["agent"]})
    assert response.status_code == 400
    assert client.get("/console/").status_code == 302


def test_wrong_password_then_right_password(console):
    client = console.test_client()
    assert sign_in(client, "agent", "wrong-password").status_code == 401
    response = sign_in(client, "agent")
    assert response.status_code == 302 and response.headers["Location"].endswith("/console/")
    assert client.get("/console/").status_code == 200


def test_account_locks_after_repeated_failures(console, pg_sessions):
    client = console.test_client()
    limit = console.config["CONSOLE_MAX_FAILED_LOGINS"]
    codes = [sign_in(client, "agent2", "nope-nope-nope").status_code for _ in range(limit)]
    assert codes[:-1] == [401] * (limit - 1) and codes[-1] == 423
    assert sign_in(client, "agent2").status_code == 423  # even the right password is refused while locked
    with transaction(pg_sessions) as s:
        user = s.scalar(select(User).where(User.username == "agent2"))
        assert user.locked_until is not None
        user.locked_until = None  # the lockout ran out
    assert sign_in(client, "agent2").status_code == 302


def test_login_attempts_are_rate_limited(console):
    from limits import parse

    limiter, _ = console.extensions["console.login_limiter"]
    console.extensions["console.login_limiter"] = (limiter, parse("3/minute"))
    client = console.test_client()
    codes = [sign_in(client, "nobody", "whatever-123").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]


def test_idle_session_is_signed_out(agent, console):
    console.config["CONSOLE_IDLE_MINUTES"] = 1
    with agent.session_transaction() as cookie:
        cookie["console_seen"] = time.time() - 120
    response = agent.get("/console/")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]
    assert agent.get("/console/").status_code == 302  # really signed out, not just redirected once


def test_logout_ends_the_session(agent):
    assert post(agent, "/console/logout").status_code == 302
    assert agent.get("/console/").status_code == 302


def test_open_redirect_after_login_is_refused(console):
    client = console.test_client()
    token = csrf_of(client)
    response = client.post("/console/login?next=https://evil.example/", data={
        "csrf_token": token, "username": "agent", "password": PASSWORDS["agent"]})
    assert response.headers["Location"].endswith("/console/")


def test_session_cookie_is_http_only(console):
    client = console.test_client()
    response = sign_in(client, "agent")
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_german_first_english_and_turkish_switchable(agent):
    page = agent.get("/console/").get_data(as_text=True)
    assert 'lang="de"' in page and "Suche" in page
    post(agent, "/console/language", lang="en", back="/console/")
    page = agent.get("/console/").get_data(as_text=True)
    assert 'lang="en"' in page and "Find a person or booking" in page
    post(agent, "/console/language", lang="tr", back="/console/")
    assert "Kişi veya randevu ara" in agent.get("/console/").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/console/static/console.css", "/console/static/wallboard.js"])
def test_static_files_are_served_locally(agent, path):
    assert agent.get(path).status_code == 200
