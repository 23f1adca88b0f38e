"""The root page: where a person who opens the server's address should go next (the console, the API document)."""
from __future__ import annotations

from flask import Blueprint, Flask, Response, url_for
from markupsafe import escape

bp = Blueprint("home", __name__)

PAGE = """<!doctype html>
<html lang="de">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Impf-Hotline</title>
<style>body{{font:18px/1.5 system-ui,Arial,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;color:#111}}
a{{color:#0645ad}} a:focus-visible{{outline:3px solid #f5a700;outline-offset:2px}} code{{font-size:.95em}}</style>
</head>
<body>
<main>
<h1>Impf-Hotline</h1>
<p><a href="{console}">Zur Agentenkonsole</a> (Anmeldung für Agentinnen, Agenten und Supervisoren)</p>
<p>Online-Portal: die API ist beschrieben im OpenAPI-Dokument <a href="{api}"><code>{api}</code></a>.</p>
<p>Twilio-Sprach-Webhook: <code>POST {voice}</code> · Zustand: <a href="{health}"><code>{health}</code></a></p>
</main>
</body>
</html>
"""


@bp.get("/")
def index() -> Response:
    """A short page that leads to the console and names the API's document."""
    body = PAGE.format(console=escape(url_for("console.home")), api=escape("/api/v1/openapi.json"),
                       voice=escape("/ivr/voice"), health=escape(url_for("health.healthz")))
    return Response(body, mimetype="text/html")


def init_app(app: Flask) -> None:
    """Register the root page."""
    app.register_blueprint(bp)
