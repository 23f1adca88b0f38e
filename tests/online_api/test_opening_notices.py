"""`POST /api/v1/opening-notices`: the portal's "tell me when my group opens", a notice that follows the rule."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from shared_db.models import OpeningNotice
from tests.online_api.support import assert_problem, headers, today, years_ago


def test_a_72_year_old_is_told_when_group_2_opens(client, api_world, pg_sessions):
    born = years_ago(72)
    resp = client.post("/api/v1/opening-notices", json={"date_of_birth": born.isoformat(), "phone": "0151 23456789"},
                       headers=headers(api_world))
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json() == {"status": "waiting", "priority_group": 2,
                               "opens_on": (today() + timedelta(days=7)).isoformat()}
    again = client.post("/api/v1/opening-notices", json={"date_of_birth": born.isoformat(), "phone": "0151 23456789"},
                        headers=headers(api_world))
    assert again.status_code == 201
    with pg_sessions() as s:
        [notice] = s.scalars(select(OpeningNotice)).all()
        assert (notice.channel, notice.phone, notice.status) == ("sms", "+4915123456789", "waiting")


def test_by_email_too(client, api_world, pg_sessions):
    resp = client.post("/api/v1/opening-notices", json={"date_of_birth": years_ago(72).isoformat(),
                                                        "email": "erna@example.org"}, headers=headers(api_world))
    assert resp.status_code == 201
    with pg_sessions() as s:
        assert s.scalar(select(OpeningNotice.email)) == "erna@example.org"


def test_refusals(client, api_world):
    can_book = client.post("/api/v1/opening-notices", json={"date_of_birth": years_ago(85).isoformat(),
                                                           "phone": "0151 23456789"}, headers=headers(api_world))
    assert_problem(can_book, 409, "invalid_state")
    no_date = client.post("/api/v1/opening-notices", json={"date_of_birth": years_ago(30).isoformat(),
                                                          "phone": "0151 23456789"}, headers=headers(api_world))
    assert_problem(no_date, 403, "not_eligible")
    landline = client.post("/api/v1/opening-notices", json={"date_of_birth": years_ago(72).isoformat(),
                                                           "phone": "0521 123456"}, headers=headers(api_world))
    assert_problem(landline, 422, "invalid_input")
    neither = client.post("/api/v1/opening-notices", json={"date_of_birth": years_ago(72).isoformat()},
                          headers=headers(api_world))
    assert_problem(neither, 422, "invalid_input")
