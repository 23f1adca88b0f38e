"""A Twilio REST stand-in that counts: every message and call created, by the outbox row named in its callback.

The workers send through the real `twilio` client (TWILIO_API_BASE_URL points
here), so "every message sent exactly once" is read off what arrived, not off
our own bookkeeping. It answers the list queries of `find_sent` from what it
holds, as Twilio would after a worker died between acceptance and storing the sid.
"""
from __future__ import annotations

import json
import threading
import urllib.parse
import uuid
from collections import Counter
from datetime import UTC, datetime
from email.utils import format_datetime

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


class TwilioCounter:
    """Serves Messages.json and Calls.json on (host, port) from a thread; `sends` counts by outbox id."""

    def __init__(self, host: str, port: int = 0) -> None:
        self.sends: Counter = Counter()
        self.created: list[dict] = []
        self.lock = threading.Lock()
        self.server = make_server(host, port, self.app, threaded=True, request_handler=_Quiet)
        self.base_url = f"http://{host}:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> TwilioCounter:
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()

    def app(self, environ, start_response):
        request = Request(environ)
        kind = "Messages" if request.path.endswith("/Messages.json") else "Calls"
        if request.method == "POST":
            return self._create(request, kind)(environ, start_response)
        return self._list(request, kind)(environ, start_response)

    def _create(self, request: Request, kind: str) -> Response:
        form = request.form
        callback = urllib.parse.urlsplit(form.get("StatusCallback", ""))
        outbox_id = urllib.parse.parse_qs(callback.query).get("n", ["?"])[0]
        sid = ("SM" if kind == "Messages" else "CA") + uuid.uuid4().hex
        record = {"sid": sid, "to": form.get("To"), "from": form.get("From"), "body": form.get("Body", ""),
                  "status": "queued", "date_created": format_datetime(datetime.now(UTC), usegmt=True),
                  "date_sent": None, "start_time": None, "direction": "outbound-api", "kind": kind}
        with self.lock:
            self.sends[outbox_id] += 1
            self.created.append(record)
        return Response(json.dumps(record), status=201, content_type="application/json")

    def _list(self, request: Request, kind: str) -> Response:
        to = request.args.get("To")
        with self.lock:
            found = [r for r in self.created if r["kind"] == kind and r["to"] == to]
        key = "messages" if kind == "Messages" else "calls"
        page = {key: found, "page": 0, "page_size": 50, "next_page_uri": None, "uri": request.path}
        return Response(json.dumps(page), status=200, content_type="application/json")


class _Quiet(WSGIRequestHandler):
    """No line per request: a booking day sends thousands."""

    def log_request(self, *_args) -> None:
        pass
