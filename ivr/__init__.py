"""ivr: the Twilio voice IVR (webhooks under /ivr)."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register the IVR's webhooks, its voices and its queue figures on /metrics."""
    import voice_prompts
    from ivr import webhooks
    from ivr.metrics import queue_figures
    from services.metrics import add_collector

    voice_prompts.use_voices(app.config.get("VOICES") or {})
    app.register_blueprint(webhooks.bp)
    add_collector(app, queue_figures)
