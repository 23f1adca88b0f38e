"""Composition root: the app factory reads like a table of contents. Nothing imports this package."""
from __future__ import annotations

import logging

from flask import Flask

from hotline.config import Config

log = logging.getLogger("hotline")


def create_app(config: Config | None = None) -> Flask:
    """Build the hotline web app: services, IVR, message callbacks, online API, console, health."""
    config = config or Config()
    refuse_unsafe_settings(config)
    app = Flask(__name__, instance_path=config.INSTANCE_DIR, instance_relative_config=False)
    app.config.from_mapping(config.as_dict())
    register_extensions(app)
    register_blueprints(app)
    return app


def refuse_unsafe_settings(config: Config) -> None:
    """No start without the secrets; a loud warning when signature checks are switched off."""
    if not config.TESTING:
        config.check()
    if not config.TWILIO_VALIDATE_SIGNATURES:
        log.warning("TWILIO_VALIDATE_SIGNATURES is off: anyone can post to the Twilio webhooks")


def register_extensions(app: Flask) -> None:
    """The services every channel uses: request session, jobs, outbox dispatch, metrics."""
    import services

    services.init_app(app)
    if app.config.get("TWILIO_STANDIN") and not app.config.get("TWILIO_HTTP_CLIENT"):
        from services.twilio_standin import StandInHttpClient

        app.config["TWILIO_HTTP_CLIENT"] = StandInHttpClient()  # the demo's Twilio: nothing leaves the machine


def register_blueprints(app: Flask) -> None:
    """The channels, and the root's own health endpoints."""
    import agent_console
    import ivr
    import notifications
    import online_api
    from hotline import health, home

    health.init_app(app)
    home.init_app(app)
    notifications.init_app(app)
    ivr.init_app(app)
    online_api.init_app(app)
    agent_console.init_app(app)
