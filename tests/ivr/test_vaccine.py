"""The vaccine said aloud: in the offer, the read-back and "my appointment"; a change of centre that changes it."""
from __future__ import annotations

from datetime import timedelta

from shared_db.models import Centre
from shared_db.session import transaction
from tests import builders as b
from tests.ivr.support import build_ivr_world, new_call, take_offer, to_offer, today


def test_another_centre_with_another_vaccine_is_said_and_my_appointment_names_it(client, pg_sessions):
    with transaction(pg_sessions) as s:
        world = build_ivr_world(s, neighbour_phone=0)
        neighbour = s.get(Centre, world["neighbour"])
        b.pair(s, neighbour, b.vaccine(s, "AZ"), today() + timedelta(days=3), phone=2)
    call = new_call(client)
    to_offer(call)
    assert "Geimpft wird mit BioNTech Pfizer, Comirnaty" in call.last.heard()
    call.press("3")  # another centre
    heard = call.last.heard()
    assert "Dort wird mit AstraZeneca, Vaxzevria geimpft, nicht mit BioNTech Pfizer, Comirnaty" in heard
    assert "Geimpft wird mit AstraZeneca, Vaxzevria" in heard
    take_offer(call)
    heard = call.last.heard()
    assert "Ihr Termin ist gebucht" in heard and "Geimpft wird mit AstraZeneca" in heard
    code = "".join(ch for ch in heard.split("Buchungscode lautet:")[1].split("Ich wiederhole")[0] if ch.isdigit())
    again = new_call(client)
    again.dial(), again.press("1"), again.press("2"), again.press(code), again.press("03031938")
    assert "Geimpft wird mit AstraZeneca" in again.last.heard()
