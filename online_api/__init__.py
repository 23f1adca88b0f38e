"""online_api: the JSON API the online portal books through, under /api/v1/, with its OpenAPI document."""
from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import HTTPException

from online_api.problems import http_problem

PREFIX = "/api/v1/"


def init_app(app: Flask) -> None:
    """Register the API's routes, rate limits and problem+json error handlers on the app."""
    from online_api.auth import init_limiter
    from online_api.views import bp
    from online_api.waiting import init_waiting_room

    app.register_blueprint(bp)
    init_limiter(app, bp)
    init_waiting_room(app)
    # Unknown paths and methods under /api/v1/ never reach the blueprint's handlers.
    app.register_error_handler(404, _routing_problem)
    app.register_error_handler(405, _routing_problem)


def _routing_problem(exc: HTTPException):
    if not request.path.startswith(PREFIX):
        return exc  # not ours: the app's default answer
    return http_problem(exc)
