"""The demo's Twilio: answers the console's REST requests (redirect a queued call, click-to-call) in-process.

`hotline demo` runs without a Twilio account, so "take next caller" and
click-to-call used to try Twilio's servers with made-up credentials and fail.
With TWILIO_STANDIN=true the app hands this HTTP client to `twilio.rest.Client`:
the request is built by the real library as always, and answered here with the
Call resource Twilio would return. Nothing rings; the console says so, and the
last requests are kept (`recent`) for the page that shows what Twilio would do.
"""
from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections import deque
from datetime import UTC, datetime
from email.utils import format_datetime

from twilio.http import HttpClient
from twilio.http.response import Response

_CALL = re.compile(r"/Accounts/(?P<account>AC\w+)/Calls(?:/(?P<sid>CA\w+))?\.json$")


class StandInHttpClient(HttpClient):
    """A `twilio.http.HttpClient` that answers Calls requests as Twilio would, without any network."""

    def __init__(self, keep: int = 50) -> None:
        super().__init__(logging.getLogger(__name__), is_async=False)
        self.recent: deque[dict] = deque(maxlen=keep)
        self._lock = threading.Lock()

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, timeout=None,
                allow_redirects=False) -> Response:
        """Answer a Calls create (201) or update (200) with a Call resource; anything else 404 as Twilio does."""
        match = _CALL.search(uri)
        data = dict(data or {})
        if method != "POST" or match is None:
            return Response(404, json.dumps({"code": 20404, "message": "The stand-in knows only Calls",
                                             "status": 404}))
        sid = match["sid"] or "CA" + uuid.uuid4().hex
        call = {"sid": sid, "account_sid": match["account"], "to": data.get("To"), "from": data.get("From"),
                "status": "queued" if match["sid"] is None else "in-progress",
                "date_created": format_datetime(datetime.now(UTC), usegmt=True), "api_version": "2010-04-01",
                "uri": uri.split("/2010-04-01", 1)[-1]}
        with self._lock:
            self.recent.append({"action": "create" if match["sid"] is None else "redirect", "sid": sid,
                                "url": data.get("Url")})
        return Response(201 if match["sid"] is None else 200, json.dumps(call))
