"""ivr: the Twilio voice IVR (webhooks under /ivr)."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register the IVR's webhooks on the app."""
    from ivr import webhooks

    app.register_blueprint(webhooks.bp)
