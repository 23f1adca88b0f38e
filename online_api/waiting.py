"""The waiting room at the API's door for new holds: let in, or a signed ticket with its place in the line."""
from __future__ import annotations

import logging

from flask import Flask, current_app, request

from online_api.problems import ApiProblem
from services import waiting_room

TICKET_HEADER = "Waiting-Room-Ticket"
log = logging.getLogger(__name__)


def init_waiting_room(app: Flask) -> None:
    """One room per app, from the settings (shared through Redis when REDIS_URL is set)."""
    app.extensions["hotline.waiting_room"] = waiting_room.build(
        app.config.get("REDIS_URL"), float(app.config.get("WAITING_ROOM_RATE") or 0),
        int(app.config.get("WAITING_ROOM_BURST") or 1))


def admit(client) -> None:
    """Return when this attempt may go on; raise the waiting_room problem (429 with a ticket) otherwise."""
    room = current_app.extensions.get("hotline.waiting_room")
    if room is None or client is None:
        return
    secret, holder = current_app.config["SECRET_KEY"], f"api:{client.id}"
    presented = request.headers.get(TICKET_HEADER)
    ticket = waiting_room.read(presented, holder, secret)
    try:
        decision = room.enter(ticket)
    except Exception as exc:  # noqa: BLE001 - Redis away: the ledger still never overbooks, so let in
        log.warning("waiting room unavailable, letting in: %s", exc.__class__.__name__)
        return
    if decision.admitted:
        return
    token = presented if ticket else waiting_room.sign(decision.ticket, holder, secret)
    raise ApiProblem(
        "waiting_room", f"many people are booking right now; you are number {decision.position} in line. "
        f"Retry with the {TICKET_HEADER} header to keep your place.",
        headers={"Retry-After": str(min(decision.wait_seconds, 60)), TICKET_HEADER: token},
        ticket=token, position=decision.position, estimated_wait_seconds=decision.wait_seconds)
