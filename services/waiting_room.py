"""A first-come-first-served waiting room for booking attempts when the ledger is saturated.

Every new attempt draws a ticket; tickets are let in, in order, at the rate the
ledger sustains (`rate` per second, with a `burst` for a quiet moment). While
nobody waits, a ticket is let in at once and nobody notices the room. When
attempts come faster, the ticket comes back signed with its position and an
honest estimate; retrying with it keeps the place (in Saxony in 2021, retrying
sent you to the back). Abandoned tickets still take their turn: the estimate
stays honest for those who stay, at the cost of some idle capacity in a rush.

The state is one Redis hash, changed by one Lua script, so every web host shares
one room. Without Redis (the embedded default, one process) a lock-guarded room
in the process does the same. A Redis outage lets everyone in: the ledger
itself never overbooks, the room only keeps the rush orderly.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import threading
import time
from dataclasses import dataclass

TICKET_LIFETIME_S = 1800  # a ticket older than this is not honoured (the caller queues again)

_ENTER = """
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local ticket = tonumber(ARGV[4])
local s = redis.call('HMGET', KEYS[1], 'issued', 'served', 'tokens', 'ts')
local issued, served = tonumber(s[1]) or 0, tonumber(s[2]) or 0
local tokens, ts = tonumber(s[3]) or burst, tonumber(s[4]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
if ticket == 0 then issued = issued + 1; ticket = issued end
local let_in = math.min(issued - served, math.floor(tokens))
served = served + let_in
tokens = tokens - let_in
redis.call('HSET', KEYS[1], 'issued', issued, 'served', served, 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], 86400)
return {ticket, served}
"""


@dataclass(frozen=True)
class Decision:
    """Let in now, or the ticket's place in the line and the seconds it will probably wait."""

    admitted: bool
    ticket: int
    position: int = 0
    wait_seconds: int = 0


def _decide(ticket: int, served: int, rate: float) -> Decision:
    if ticket <= served:
        return Decision(True, ticket)
    position = ticket - served
    return Decision(False, ticket, position, max(1, math.ceil(position / rate)))


class RedisRoom:
    """The room in Redis: shared by every web host."""

    def __init__(self, redis, rate: float, burst: int, key: str = "hotline:waiting-room") -> None:
        self.redis, self.rate, self.burst, self.key = redis, rate, burst, key
        self.script = redis.register_script(_ENTER)

    def enter(self, ticket: int | None, now: float | None = None) -> Decision:
        """Draw a ticket (None) or present one; let in or tell the place."""
        now = time.time() if now is None else now
        number, served = self.script(keys=[self.key], args=[self.rate, self.burst, now, ticket or 0])
        return _decide(int(number), int(served), self.rate)


class LocalRoom:
    """The same room inside one process (the embedded default)."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst, self.lock = rate, burst, threading.Lock()
        self.issued = self.served = 0
        self.tokens, self.ts = float(burst), None

    def enter(self, ticket: int | None, now: float | None = None) -> Decision:
        """Draw a ticket (None) or present one; let in or tell the place."""
        now = time.time() if now is None else now
        with self.lock:
            last = now if self.ts is None else self.ts
            self.tokens = min(self.burst, self.tokens + max(0.0, now - last) * self.rate)
            self.ts = now
            if not ticket:
                self.issued += 1
                ticket = self.issued
            let_in = min(self.issued - self.served, math.floor(self.tokens))
            self.served += let_in
            self.tokens -= let_in
            return _decide(ticket, self.served, self.rate)


def sign(ticket: int, holder: str, secret: str, now: float | None = None) -> str:
    """The ticket as the client carries it: number, time and holder bound by an HMAC."""
    issued = int(time.time() if now is None else now)
    return f"{ticket}.{issued}.{_mac(ticket, issued, holder, secret)}"


def read(token: str | None, holder: str, secret: str, now: float | None = None) -> int | None:
    """The ticket number of a token this holder was given and that is still valid; None otherwise."""
    try:
        number, issued, mac = (token or "").split(".")
        ticket, stamp = int(number), int(issued)
    except ValueError:
        return None
    fresh = 0 <= (time.time() if now is None else now) - stamp <= TICKET_LIFETIME_S
    if ticket < 1 or not fresh or not hmac.compare_digest(mac, _mac(ticket, stamp, holder, secret)):
        return None
    return ticket


def _mac(ticket: int, issued: int, holder: str, secret: str) -> str:
    message = f"waiting-room:{ticket}:{issued}:{holder}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def build(redis_url: str | None, rate: float, burst: int):
    """The room for these settings: shared in Redis when there is one, else in the process; None when off."""
    if rate <= 0:
        return None
    if not redis_url:
        return LocalRoom(rate, burst)
    from redis import Redis

    return RedisRoom(Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=1), rate, burst)
