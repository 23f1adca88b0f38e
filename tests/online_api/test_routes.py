"""Every route of the online API, on PostgreSQL, through the Flask test client."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from shared_db.ledger.checks import ledger_problems
from shared_db.models import Booking, Notification, Slot
from tests.online_api.support import assert_problem, book_online, headers, hold, person, today, years_ago


def test_openapi_document_needs_no_key(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    assert resp.get_json()["openapi"].startswith("3.1")


def test_eligibility_of_an_80_year_old(client, api_world):
    resp = client.post("/api/v1/eligibility", json={"date_of_birth": years_ago(81).isoformat()},
                       headers=headers(api_world))
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["eligible"] is True and body["priority_group"] == 1
    assert "BNT" in body["vaccines"] and body["opens_on"] is None


def test_eligibility_not_yet_tells_when_the_group_opens(client, api_world):
    facts = {"date_of_birth": years_ago(72).isoformat(), "care_home": False, "occupation": False}
    body = client.post("/api/v1/eligibility", json=facts, headers=headers(api_world)).get_json()
    assert body["eligible"] is False and body["reason"] == "not_yet"
    assert body["opens_on"] == (today() + timedelta(days=7)).isoformat()


def test_eligibility_never_lists_the_answers_that_would_admit(client, api_world):
    """The finding: an ineligible portal user was told which questions to answer 'yes' to."""
    resp = client.post("/api/v1/eligibility", json={"date_of_birth": years_ago(40).isoformat()},
                       headers=headers(api_world))
    body = resp.get_json()
    assert body["eligible"] is False and body["reason"] == "not_eligible" and body["questions"] == []


def test_a_self_declared_care_home_does_not_admit_where_the_campaign_wants_proof(client, api_world):
    """The finding: `"care_home": true` booked a 41-year-old into group 1."""
    resp = client.post("/api/v1/eligibility", json={"date_of_birth": years_ago(41).isoformat(), "care_home": True},
                       headers=headers(api_world))
    assert resp.get_json()["eligible"] is False


def test_eligibility_input_is_checked_field_by_field(client, api_world):
    resp = client.post("/api/v1/eligibility", json={"date_of_birth": "1940-02-30", "care_home": "yes",
                                                    "shoe_size": 44}, headers=headers(api_world))
    body = assert_problem(resp, 422, "invalid_input")
    assert [e["field"] for e in body["errors"]] == ["care_home", "date_of_birth", "shoe_size"]


def test_future_birth_date_is_invalid(client, api_world):
    resp = client.post("/api/v1/eligibility", json={"date_of_birth": (today() + timedelta(days=2)).isoformat()},
                       headers=headers(api_world))
    body = assert_problem(resp, 422, "invalid_input")
    assert body["errors"] == [{"field": "date_of_birth", "message": "not a plausible date of birth"}]


def test_centres_near_a_postcode_home_then_neighbour(client, api_world):
    resp = client.get("/api/v1/centres?postcode=33602", headers=headers(api_world))
    assert resp.status_code == 200
    centres = resp.get_json()
    assert [(c["id"], c["relation"]) for c in centres] == [(api_world.centre_id, "home"),
                                                           (api_world.neighbour_id, "neighbour")]
    assert {v["code"] for v in centres[0]["vaccines"]} == {"BNT", "JJ"}


def test_centres_of_the_region_when_no_centre_serves_the_postcode(client, api_world):
    resp = client.get("/api/v1/centres?postcode=33999", headers=headers(api_world))
    assert {c["relation"] for c in resp.get_json()} == {"region"}
    assert client.get("/api/v1/centres?postcode=01067", headers=headers(api_world)).get_json() == []


def test_centres_postcode_must_be_five_digits(client, api_world):
    body = assert_problem(client.get("/api/v1/centres?postcode=3360", headers=headers(api_world)), 422, "invalid_input")
    assert body["errors"][0]["field"] == "postcode"


def test_slots_offer_pairs_from_the_online_pool(client, api_world):
    resp = client.get(f"/api/v1/centres/{api_world.centre_id}/slots?to={(today() + timedelta(days=10)).isoformat()}",
                      headers=headers(api_world))
    assert resp.status_code == 200
    offers = {(o["first"]["slot_id"], o["second"]["slot_id"] if o["second"] else None) for o in resp.get_json()}
    assert offers == {(api_world.first_id, api_world.second_id), (api_world.soon_first_id, api_world.soon_second_id),
                      (api_world.jj_id, None)}


def test_slots_filter_by_vaccine_and_range(client, api_world):
    url = f"/api/v1/centres/{api_world.centre_id}/slots?vaccine=JJ&from={(today() + timedelta(days=6)).isoformat()}"
    assert [o["first"]["slot_id"] for o in client.get(url, headers=headers(api_world)).get_json()] == [api_world.jj_id]


def test_slots_errors(client, api_world):
    assert_problem(client.get("/api/v1/centres/999999/slots", headers=headers(api_world)), 404, "not_found")
    body = assert_problem(client.get(f"/api/v1/centres/{api_world.centre_id}/slots?from=2021-13-01&limit=0&vaccine=%25",
                                     headers=headers(api_world)), 422, "invalid_input")
    assert {e["field"] for e in body["errors"]} == {"from", "limit", "vaccine"}
    body = assert_problem(client.get(f"/api/v1/centres/{api_world.centre_id}/slots?from=2030-01-01&to=2029-01-01",
                                     headers=headers(api_world)), 422, "invalid_input")
    assert body["errors"][0]["field"] == "to"
    assert_problem(client.get(f"/api/v1/centres/{api_world.centre_id}/slots?vaccine=XYZ", headers=headers(api_world)),
                   422, "invalid_input")


def test_hold_confirm_lookup_rebook_cancel(client, api_world, pg_sessions):
    held = hold(client, api_world)
    assert held.status_code == 201
    hold_doc = held.get_json()
    assert hold_doc["first"]["slot_id"] == api_world.first_id and hold_doc["second"]["slot_id"] == api_world.second_id
    done = client.post(f"/api/v1/holds/{hold_doc['hold_id']}/confirm", json=person(), headers=headers(api_world))
    assert done.status_code == 201
    booking = done.get_json()
    assert booking["status"] == "confirmed" and booking["channel"] == "online" and len(booking["booking_code"]) == 9
    with pg_sessions.begin() as s:
        row = s.scalar(select(Booking).where(Booking.code == booking["booking_code"]))
        assert row.created_by == f"api:{api_world.client_id}" and row.first_pool == "online"
        assert row.caller_number == "+4915112345678"
        sms = s.scalars(select(Notification).where(Notification.booking_id == row.id)).all()
        assert [(n.kind, n.channel, n.status) for n in sms] == [("confirmation", "sms", "sent")]  # sent after commit
    access = {"booking_code": booking["booking_code"], "date_of_birth": person()["date_of_birth"]}
    looked = client.post("/api/v1/bookings/lookup", json=access, headers=headers(api_world))
    assert looked.status_code == 200 and looked.get_json() == booking
    moved = client.post("/api/v1/bookings/rebook", json={**access, "first_slot_id": api_world.soon_first_id},
                        headers=headers(api_world))
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["first"]["slot_id"] == api_world.soon_first_id
    assert moved.get_json()["second"]["slot_id"] == api_world.soon_second_id
    cancelled = client.post("/api/v1/bookings/cancel", json=access, headers=headers(api_world))
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    again = client.post("/api/v1/bookings/cancel", json=access, headers=headers(api_world))
    assert again.status_code == 200 and again.get_json()["status"] == "cancelled"
    with pg_sessions.begin() as s:
        assert ledger_problems(s) == []
        assert all(sl.phone_taken == sl.online_taken == 0 for sl in s.scalars(select(Slot)))


def test_cancel_second_dose_only(client, api_world):
    booking = book_online(client, api_world)
    access = {"booking_code": booking["booking_code"], "date_of_birth": person()["date_of_birth"]}
    resp = client.post("/api/v1/bookings/cancel", json={**access, "second_dose_only": True}, headers=headers(api_world))
    assert resp.status_code == 200
    assert resp.get_json()["status"] == "confirmed" and resp.get_json()["second"] is None


def test_one_dose_vaccine_books_without_second(client, api_world):
    booking = book_online(client, api_world, api_world.jj_id, person(age=82))
    assert booking["second"] is None and booking["vaccine"]["code"] == "JJ"


def test_release_hold_gives_the_place_back(client, api_world, pg_sessions):
    hold_id = hold(client, api_world).get_json()["hold_id"]
    assert client.delete(f"/api/v1/holds/{hold_id}", headers=headers(api_world)).status_code == 204
    assert client.delete(f"/api/v1/holds/{hold_id}", headers=headers(api_world)).status_code == 204
    with pg_sessions.begin() as s:
        assert s.get(Slot, api_world.first_id).online_taken == 0
        assert ledger_problems(s) == []
    assert_problem(client.delete("/api/v1/holds/999999", headers=headers(api_world)), 404, "not_found")


def test_release_of_a_confirmed_hold_is_refused(client, api_world):
    held = hold(client, api_world).get_json()
    client.post(f"/api/v1/holds/{held['hold_id']}/confirm", json=person(), headers=headers(api_world))
    assert_problem(client.delete(f"/api/v1/holds/{held['hold_id']}", headers=headers(api_world)), 409, "invalid_state")


def test_confirm_twice_returns_the_same_booking(client, api_world):
    held = hold(client, api_world).get_json()
    url = f"/api/v1/holds/{held['hold_id']}/confirm"
    first = client.post(url, json=person(), headers=headers(api_world)).get_json()
    second = client.post(url, json=person(), headers=headers(api_world)).get_json()
    assert first == second
