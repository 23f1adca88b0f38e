"""POST /api/v1/holds through the waiting room: 429 waiting_room with a ticket, the place kept on retry."""
from __future__ import annotations

import pytest

from hotline.config import Config
from tests.online_api.support import assert_problem, headers, make_client

HOLDS = "/api/v1/holds"


@pytest.fixture(params=["in-process", "redis"])
def crowded_client(request, pg_url):
    """An app whose room lets one hold in and then (practically) nobody: 0.001 per second, burst 1."""
    extra = {"REDIS_URL": request.getfixturevalue("redis_url")} if request.param == "redis" else {}
    app, client = make_client(pg_url, WAITING_ROOM_RATE=0.001, WAITING_ROOM_BURST=1, **extra)
    yield client
    app.extensions["services.db"].engine.dispose()


def hold(client, api_world, ticket: str | None = None):
    extra = {"Waiting-Room-Ticket": ticket} if ticket else {}
    return client.post(HOLDS, json={"first_slot_id": api_world.first_id, "second_slot_id": api_world.second_id},
                       headers=headers(api_world, **extra))


def test_the_crowd_waits_in_line_and_a_retry_keeps_its_place(crowded_client, api_world):
    assert hold(crowded_client, api_world).status_code == 201
    second = hold(crowded_client, api_world)
    body = assert_problem(second, 429, "waiting_room")
    assert (body["position"], body["estimated_wait_seconds"] > 0) == (1, True)
    assert second.headers["Waiting-Room-Ticket"] == body["ticket"]
    assert 1 <= int(second.headers["Retry-After"]) <= 60
    third = assert_problem(hold(crowded_client, api_world), 429, "waiting_room")
    assert third["position"] == 2
    again = assert_problem(hold(crowded_client, api_world, body["ticket"]), 429, "waiting_room")
    assert (again["position"], again["ticket"]) == (1, body["ticket"])  # not sent to the back
    forged = body["ticket"].replace(body["ticket"].split(".")[0], "1", 1)
    assert assert_problem(hold(crowded_client, api_world, forged), 429, "waiting_room")["position"] == 3


def test_only_new_holds_wait(crowded_client, api_world):
    assert hold(crowded_client, api_world).status_code == 201
    assert crowded_client.get(f"/api/v1/centres/{api_world.centre_id}/slots", headers=headers(api_world)).status_code \
        == 200


def test_the_room_is_on_by_default_and_documented(client):
    assert Config().WAITING_ROOM_RATE > 0
    doc = client.get("/api/v1/openapi.json").get_json()
    post = doc["paths"]["/api/v1/holds"]["post"]
    assert "429" in post["responses"]
    assert {"$ref": "#/components/parameters/WaitingRoomTicket"} in post["parameters"]
    assert {"ticket", "position", "estimated_wait_seconds"} <= set(doc["components"]["schemas"]["Problem"]
                                                                   ["properties"])
