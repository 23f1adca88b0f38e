"""The wallboard for a wall: abandons counted after a threshold (a setting, default 10 s), a heat table of
free first-dose places per centre, day and vaccine, times in the campaign's time zone."""
from __future__ import annotations

from datetime import datetime, timedelta

from shared_db import clock
from shared_db.models import QueueEntry, Setting
from shared_db.operations import wallboard
from shared_db.session import transaction
from shared_db.types import utcnow
from tests.agent_console.support import post


def left_after(s, seconds: int, outcome: str = "abandoned", ago: int = 600) -> None:
    entered = utcnow() - timedelta(seconds=ago)
    s.add(QueueEntry(call_sid=f"CA{ago:016d}{seconds:016d}", from_number="+4952100000000", enqueued_at=entered,
                     left_at=entered + timedelta(seconds=seconds), outcome=outcome))


def test_hanging_up_within_the_threshold_is_a_short_abandon_not_a_failure(pg_sessions, console_world):
    with transaction(pg_sessions) as s:
        left_after(s, 0, ago=900)
        left_after(s, 10, ago=800)  # exactly the threshold: still short
        left_after(s, 11, ago=700)  # one second more: abandoned
        left_after(s, 30, "answered", ago=600)
        today = wallboard.queue_today(s, clock.today())
    assert (today["abandoned"], today["short_abandoned"], today["abandon_after"]) == (1, 2, 10)
    assert today["service_level"] == 50  # 1 answered within 60 s of 2 that count


def test_the_threshold_is_a_supervisor_setting(supervisor, pg_sessions, console_world):
    post(supervisor, "/console/supervisor/settings", **{"wallboard.abandon_seconds": "30"})
    with transaction(pg_sessions) as s:
        assert s.get(Setting, "wallboard.abandon_seconds").value in (30, "30")
        left_after(s, 11)
        today = wallboard.queue_today(s, clock.today())
    assert (today["abandoned"], today["short_abandoned"]) == (0, 1)
    page = supervisor.get("/console/supervisor/wallboard").get_data(as_text=True)
    assert "Aufgelegt zählt erst nach 30 s Wartezeit" in page


def test_a_wrong_setting_names_the_setting_and_the_range(supervisor, console_world):
    response = post(supervisor, "/console/supervisor/settings", **{"wallboard.abandon_seconds": "999"})
    page = supervisor.get(response.headers["Location"]).get_data(as_text=True)
    assert "von 0 bis 300 eingeben" in page and "Wallboard: als aufgelegt zählt" in page


def test_the_heat_table_has_every_centre_and_the_next_seven_days_with_weekdays(supervisor, console_world):
    data = supervisor.get("/console/supervisor/wallboard.json").get_json()
    heat = data["heat"]
    assert heat["days"][0] == clock.today().isoformat() and len(heat["days"]) == 7
    assert [row["centre"] for row in heat["centres"]] == ["Impfzentrum Bielefeld", "Impfzentrum Gütersloh"]
    bielefeld = heat["centres"][0]["cells"]
    in_two_days = bielefeld[2]
    assert in_two_days == [{"vaccine": "BioNTech/Pfizer", "free": 4, "total": 4}]
    page = supervisor.get("/console/supervisor/wallboard").get_data(as_text=True)
    weekday = clock.today() + timedelta(days=2)
    assert f"{['Mo', 'Di', 'Mi', 'Do', 'Fr', 'Sa', 'So'][weekday.weekday()]}. {weekday:%d.%m.}" in page
    assert 'id="heat"' in page and "BioNTech/Pfizer <strong>4</strong>" in page


def test_times_are_the_campaigns_not_the_browsers(supervisor, console_world):
    data = supervisor.get("/console/supervisor/wallboard.json").get_json()
    assert data["timezone"] == "Europe/Berlin"
    shown = datetime.combine(clock.today(), datetime.strptime(data["at_local"], "%H:%M:%S").time(), clock.zone())
    assert abs(shown - clock.local(utcnow())) < timedelta(minutes=2)  # Berlin wall-clock, whatever the server's
    page = supervisor.get("/console/supervisor/wallboard").get_data(as_text=True)
    assert "(Europe/Berlin)" in page and "toLocaleTimeString" not in supervisor.get(
        "/console/static/wallboard.js").get_data(as_text=True)
