"""Composition root: the app factory reads like a table of contents."""
from __future__ import annotations

import logging

from flask import Flask

from hotline.config import Config

log = logging.getLogger("hotline")


def create_app(config: Config | None = None) -> Flask:
    """Build the hotline web app: database, queue, IVR, console, online API, health."""
    config = config or Config()
    app = Flask(__name__, instance_path=config.INSTANCE_DIR, instance_relative_config=False)
    app.config.from_mapping(config.as_dict())
    register_extensions(app)
    register_blueprints(app)
    register_cli(app)
    warn_about_unsafe_settings(app)
    return app


def register_extensions(app: Flask) -> None:
    from services import db, queueing
    from services.jobs import notifier

    db.init_app(app)
    queueing.configure(app.config["DATABASE_URL"], app.config["REDIS_URL"])
    notifier.configure(app.config)


def register_blueprints(app: Flask) -> None:
    import agent_console
    import ivr
    import notifications
    import online_api
    from hotline import health

    health.init_app(app)
    notifications.init_app(app)
    ivr.init_app(app)
    online_api.init_app(app)
    agent_console.init_app(app)


def register_cli(app: Flask) -> None:
    """Commands live on the `hotline` group (hotline/cli.py); nothing app-specific to add yet."""


def warn_about_unsafe_settings(app: Flask) -> None:
    if not app.config["TWILIO_VALIDATE_SIGNATURES"]:
        log.warning("TWILIO_VALIDATE_SIGNATURES is off: anyone can post to the IVR webhooks")
    if not app.config.get("TESTING") and not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set in the environment")
