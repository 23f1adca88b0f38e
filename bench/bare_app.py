"""The bare baseline web app: one Flask endpoint answering every POST with a fixed <Gather>.

Served under exactly the gunicorn settings of the real app, it measures what
gunicorn, Flask and the machine can do with no database, no signature check
and no flow: the ceiling our IVR is compared against.
"""
from __future__ import annotations

from flask import Flask, Response
from twilio.twiml.voice_response import Gather, VoiceResponse


def fixed_gather() -> str:
    """The TwiML of a typical menu step, built once."""
    response = VoiceResponse()
    gather = Gather(num_digits=1, action="/bare/step", method="POST", timeout=8, language="de-DE")
    gather.say("Um einen Termin zu buchen, drücken Sie die 1.", language="de-DE", voice="Polly.Vicki")
    response.append(gather)
    response.redirect("/bare/step", method="POST")
    return str(response)


def create_app() -> Flask:
    """The bare app; every path answers, so the load generator can replay the real app's URLs."""
    app = Flask(__name__)
    body = fixed_gather()

    @app.route("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.route("/", defaults={"path": ""}, methods=["POST", "GET"])
    @app.route("/<path:path>", methods=["POST", "GET"])
    def step(path):
        return Response(body, mimetype="text/xml")

    return app
