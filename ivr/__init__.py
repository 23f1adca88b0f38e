"""ivr: the Twilio voice IVR (webhooks under /ivr)."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register the IVR's webhooks and its queue figures on /metrics."""
    from services.metrics import add_metrics
    from ivr import webhooks
    from ivr.metrics import queue_metrics

    app.register_blueprint(webhooks.bp)
    add_metrics(app, queue_metrics)
