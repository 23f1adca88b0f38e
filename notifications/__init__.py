"""notifications: Twilio's webhooks about our outgoing messages (status, SMS replies, reconfirmation key)."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register the /notifications webhooks."""
    from notifications.webhooks import bp

    app.register_blueprint(bp)
