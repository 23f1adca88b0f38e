"""The waiting room: first come, first served, places kept on retry, one line for every web host (Redis)."""
from __future__ import annotations

import pytest

from services import waiting_room
from services.waiting_room import LocalRoom, RedisRoom, read, sign

SECRET = "test-secret"


@pytest.fixture(params=["local", "redis"])
def make_room(request):
    """A factory of rooms at a given rate and burst, in the process or on the real test Redis."""
    if request.param == "local":
        yield LocalRoom
        return
    from redis import Redis

    redis_url = request.getfixturevalue("redis_url")
    rooms = []

    def redis_room(rate, burst):
        rooms.append(RedisRoom(Redis.from_url(redis_url), rate, burst, key=f"test:room:{len(rooms)}"))
        return rooms[-1]

    yield redis_room


def test_a_quiet_room_lets_in_at_once_up_to_the_burst(make_room):
    room = make_room(2, 3)
    decisions = [room.enter(None, now=100.0) for _ in range(4)]
    assert [d.admitted for d in decisions] == [True, True, True, False]
    assert (decisions[3].ticket, decisions[3].position, decisions[3].wait_seconds) == (4, 1, 1)


def test_tickets_are_let_in_in_order_at_the_rate(make_room):
    room = make_room(2, 2)
    first = [room.enter(None, now=0.0) for _ in range(5)]
    assert [d.admitted for d in first] == [True, True, False, False, False]
    assert [d.position for d in first[2:]] == [1, 2, 3]
    assert [d.wait_seconds for d in first[2:]] == [1, 1, 2]
    assert not room.enter(5, now=0.4).admitted  # 0.8 of a place has come free: nobody yet
    assert [room.enter(t, now=1.0).admitted for t in (5, 3, 4)] == [False, True, True]


def test_retrying_keeps_the_place_and_newcomers_queue_behind(make_room):
    room = make_room(1, 1)
    assert room.enter(None, now=0.0).admitted
    waiting = room.enter(None, now=0.0)
    assert (waiting.ticket, waiting.position) == (2, 1)
    latecomer = room.enter(None, now=0.5)
    assert (latecomer.ticket, latecomer.position) == (3, 2)
    # The first retry after one second gets in; the latecomer who arrived meanwhile still waits.
    assert room.enter(waiting.ticket, now=1.0).admitted
    assert room.enter(latecomer.ticket, now=1.0).position == 1
    assert room.enter(latecomer.ticket, now=2.0).admitted


def test_the_burst_caps_what_a_long_quiet_spell_saves(make_room):
    room = make_room(1, 2)
    room.enter(None, now=0.0)
    after_an_hour = [room.enter(None, now=3600.0).admitted for _ in range(3)]
    assert after_an_hour == [True, True, False]


def test_two_web_hosts_share_one_line_in_redis(redis_url):
    from redis import Redis

    host_a = RedisRoom(Redis.from_url(redis_url), 1, 1, key="test:room:shared")
    host_b = RedisRoom(Redis.from_url(redis_url), 1, 1, key="test:room:shared")
    assert host_a.enter(None, now=0.0).admitted
    assert host_b.enter(None, now=0.0).position == 1  # not let in: host a took the only place
    assert host_a.enter(None, now=0.0).position == 2


def test_a_ticket_is_bound_to_its_holder_and_its_lifetime():
    token = sign(7, "api:1", SECRET, now=1000.0)
    assert read(token, "api:1", SECRET, now=1000.0) == 7
    assert read(token, "api:1", SECRET, now=1000.0 + waiting_room.TICKET_LIFETIME_S) == 7  # last second valid
    assert read(token, "api:1", SECRET, now=1001.0 + waiting_room.TICKET_LIFETIME_S) is None
    assert read(token, "api:2", SECRET, now=1000.0) is None  # another client's ticket
    number, issued, mac = token.split(".")
    assert read(f"1.{issued}.{mac}", "api:1", SECRET, now=1000.0) is None  # a forged place in front
    for garbage in (None, "", "x", "1.2", "a.b.c", f"0.{issued}.{mac}"):
        assert read(garbage, "api:1", SECRET, now=1000.0) is None


def test_the_room_is_off_at_rate_zero_and_in_redis_when_configured(redis_url):
    assert waiting_room.build(None, 0, 10) is None
    assert isinstance(waiting_room.build(None, 5, 10), LocalRoom)
    assert isinstance(waiting_room.build(redis_url, 5, 10), RedisRoom)
