"""Every problem code of the online API, with the status and fields the document promises."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from hotline import config as hotline_config
from hotline import create_app
from shared_db.access.api_clients import revoke
from shared_db.models import Booking, Slot
from shared_db.policy import Policy
from shared_db.types import utcnow
from tests.online_api.support import assert_problem, book_online, headers, hold, person, today


def test_missing_wrong_and_revoked_keys_are_unauthorized(client, api_world, pg_sessions):
    url = "/api/v1/centres?postcode=33602"
    assert_problem(client.get(url), 401, "unauthorized")
    assert_problem(client.get(url, headers={"X-API-Key": api_world.key[:-1] + "x"}), 401, "unauthorized")
    assert_problem(client.get(url, headers={"X-API-Key": "nonsense"}), 401, "unauthorized")
    assert client.get(url, headers=headers(api_world)).status_code == 200
    with pg_sessions.begin() as s:
        revoke(s, "portal")
    assert_problem(client.get(url, headers=headers(api_world)), 401, "unauthorized")


def test_slot_gone_when_online_pool_is_full_and_phone_not_released(client, api_world):
    book_online(client, api_world, who=person("Anna Eins"))
    book_online(client, api_world, who=person("Berta Zwei"))
    body = assert_problem(hold(client, api_world), 409, "slot_gone")
    assert "detail" in body


def test_hold_expired(client, api_world, pg_sessions):
    hold_id = hold(client, api_world).get_json()["hold_id"]
    with pg_sessions.begin() as s:
        s.execute(update(Booking).where(Booking.id == hold_id)
                  .values(hold_expires_at=utcnow() - timedelta(seconds=1)))
    assert_problem(client.post(f"/api/v1/holds/{hold_id}/confirm", json=person(), headers=headers(api_world)),
                   410, "hold_expired")


def test_already_booked(client, api_world):
    book_online(client, api_world)
    second_hold = hold(client, api_world, api_world.soon_first_id).get_json()["hold_id"]
    resp = client.post(f"/api/v1/holds/{second_hold}/confirm", json=person(name="SCHMIDT, erna"),
                       headers=headers(api_world))
    body = assert_problem(resp, 409, "already_booked")
    assert "booking_code" not in body  # never shown to whoever typed a name and birth date


def test_number_limit(pg_url, pg_sessions, api_world):
    app = create_app(hotline_config.TestConfig(pg_url, POLICY=Policy(caller_limit=1)))
    try:
        client = app.test_client()
        book_online(client, api_world, who=person("Anna Eins"))
        second = hold(client, api_world, api_world.soon_first_id).get_json()["hold_id"]
        resp = client.post(f"/api/v1/holds/{second}/confirm", json=person("Berta Zwei"), headers=headers(api_world))
        body = assert_problem(resp, 409, "number_limit")
        assert body["limit"] == 1
    finally:
        app.extensions["services.db"].engine.dispose()


def test_not_eligible_at_confirm_says_when_the_group_opens(client, api_world):
    hold_id = hold(client, api_world).get_json()["hold_id"]
    who = person("Karl Siebzig", age=72, care_home=False, occupation=False)
    body = assert_problem(client.post(f"/api/v1/holds/{hold_id}/confirm", json=who, headers=headers(api_world)),
                          403, "not_eligible")
    assert body["opens_on"] == (today() + timedelta(days=7)).isoformat()


def test_not_eligible_never_lists_the_answers_that_would_admit(client, api_world):
    hold_id = hold(client, api_world).get_json()["hold_id"]
    body = assert_problem(client.post(f"/api/v1/holds/{hold_id}/confirm", json=person("Jung", age=30),
                                      headers=headers(api_world)), 403, "not_eligible")
    assert body["opens_on"] is None and body["questions"] == []


def test_not_eligible_for_the_vaccine(client, api_world):
    hold_id = hold(client, api_world, api_world.jj_id).get_json()["hold_id"]  # J&J is for 60+
    who = person("Pia Pflege", age=35, care_home=True)
    body = assert_problem(client.post(f"/api/v1/holds/{hold_id}/confirm", json=who, headers=headers(api_world)),
                          403, "not_eligible")
    assert body["opens_on"] is None


def test_invalid_input_field_by_field(client, api_world):
    resp = client.post("/api/v1/holds/1/confirm", json={"name": "", "date_of_birth": "01.02.1940",
                                                        "postcode": "ABCDE", "phone": 4915, "extra": 1},
                       headers=headers(api_world))
    body = assert_problem(resp, 422, "invalid_input")
    assert [e["field"] for e in body["errors"]] == ["date_of_birth", "extra", "name", "phone", "postcode"]


@pytest.mark.parametrize("payload", [None, [], "text", 5, {"first_slot_id": "1"}, {"first_slot_id": 0},
                                     {"first_slot_id": 2**40}, {}])
def test_bad_bodies_are_invalid_input_never_500(client, api_world, payload):
    if payload is None:
        resp = client.post("/api/v1/holds", data="{not json",
                           headers=headers(api_world, **{"Content-Type": "application/json"}))
    else:
        resp = client.post("/api/v1/holds", json=payload, headers=headers(api_world))
    assert_problem(resp, 422, "invalid_input")


def test_unknown_slot_and_wrong_dose_are_invalid_input(client, api_world):
    body = assert_problem(hold(client, api_world, 999999), 422, "invalid_input")
    assert body["errors"][0]["field"] == "first_slot_id"
    body = assert_problem(hold(client, api_world, api_world.second_id), 422, "invalid_input")
    body = assert_problem(hold(client, api_world, api_world.first_id, api_world.soon_second_id), 422, "invalid_input")
    assert body["errors"][0]["field"] == "second_slot_id"


def test_bad_phone_number_is_invalid_input(client, api_world):
    hold_id = hold(client, api_world).get_json()["hold_id"]
    body = assert_problem(client.post(f"/api/v1/holds/{hold_id}/confirm", json=person(phone="123"),
                                      headers=headers(api_world)), 422, "invalid_input")
    assert body["errors"][0]["field"] == "phone"


def test_not_found(client, api_world):
    ok = book_online(client, api_world)
    assert_problem(client.post("/api/v1/holds/999999/confirm", json=person(), headers=headers(api_world)),
                   404, "not_found")
    wrong_dob = {"booking_code": ok["booking_code"], "date_of_birth": "1950-01-01"}
    assert_problem(client.post("/api/v1/bookings/lookup", json=wrong_dob, headers=headers(api_world)), 404, "not_found")
    assert_problem(client.post("/api/v1/bookings/cancel", json=wrong_dob, headers=headers(api_world)), 404, "not_found")
    assert_problem(client.get("/api/v1/no-such-thing", headers=headers(api_world)), 404, "not_found")


def test_booking_code_with_wrong_check_digit_is_invalid_input(client, api_world):
    ok = book_online(client, api_world)
    code = ok["booking_code"]
    typo = code[:-1] + str((int(code[-1]) + 1) % 10)
    body = assert_problem(client.post("/api/v1/bookings/lookup", json={"booking_code": typo,
                                                                      "date_of_birth": "1950-01-01"},
                                      headers=headers(api_world)), 422, "invalid_input")
    assert body["errors"][0]["field"] == "booking_code"
    spaced = f"{code[:3]} {code[3:6]} {code[6:]}"
    found = client.post("/api/v1/bookings/lookup", json={"booking_code": spaced,
                                                          "date_of_birth": person()["date_of_birth"]},
                        headers=headers(api_world))
    assert found.status_code == 200


def test_another_clients_hold_is_not_found(client, api_world, pg_sessions):
    from shared_db.access.api_clients import create_client

    with pg_sessions.begin() as s:
        _, other_key = create_client(s, "other portal")
    hold_id = hold(client, api_world).get_json()["hold_id"]
    assert_problem(client.post(f"/api/v1/holds/{hold_id}/confirm", json=person(),
                               headers={"X-API-Key": other_key}), 404, "not_found")


def test_invalid_state_rebooking_a_cancelled_booking(client, api_world):
    ok = book_online(client, api_world)
    access = {"booking_code": ok["booking_code"], "date_of_birth": person()["date_of_birth"]}
    client.post("/api/v1/bookings/cancel", json=access, headers=headers(api_world))
    assert_problem(client.post("/api/v1/bookings/rebook", json={**access, "first_slot_id": api_world.soon_first_id},
                               headers=headers(api_world)), 409, "invalid_state")


def test_rebook_keeps_the_vaccine(client, api_world):
    ok = book_online(client, api_world)
    access = {"booking_code": ok["booking_code"], "date_of_birth": person()["date_of_birth"]}
    body = assert_problem(client.post("/api/v1/bookings/rebook", json={**access, "first_slot_id": api_world.jj_id},
                                      headers=headers(api_world)), 422, "invalid_input")
    assert body["errors"][0]["field"] == "first_slot_id"


def test_method_not_allowed(client, api_world):
    resp = client.put("/api/v1/holds", json={}, headers=headers(api_world))
    assert_problem(resp, 405, "method_not_allowed")
    assert "POST" in resp.headers["Allow"]


def test_non_api_paths_keep_the_default_404(client):
    resp = client.get("/no-such-page")
    assert resp.status_code == 404 and resp.mimetype != "application/problem+json"


def test_slots_listing_excludes_phone_capacity_before_release(client, api_world, pg_sessions):
    with pg_sessions.begin() as s:  # online pool of the 5-day pair full; phone places free but not released
        s.execute(update(Slot).where(Slot.id == api_world.first_id).values(online_taken=Slot.online_capacity))
    url = f"/api/v1/centres/{api_world.centre_id}/slots"
    ids = [o["first"]["slot_id"] for o in client.get(url, headers=headers(api_world)).get_json()]
    assert api_world.first_id not in ids and api_world.soon_first_id in ids


def test_released_phone_capacity_is_bookable_online(client, api_world, pg_sessions):
    with pg_sessions.begin() as s:  # tomorrow's online pool is full; its phone places are past release
        s.execute(update(Slot).where(Slot.id == api_world.soon_first_id).values(online_taken=Slot.online_capacity))
    held = hold(client, api_world, api_world.soon_first_id)
    assert held.status_code == 201
    with pg_sessions.begin() as s:
        row = s.get(Booking, held.get_json()["hold_id"])
        assert (row.first_pool, row.second_pool) == ("phone", "online")
