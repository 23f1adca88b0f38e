"""A stateful stand-in for Twilio's REST API, for fault tests, checking each request against the OpenAPI document.

Prism (tests/twilio_mock.py) is stateless: it cannot remember a message to be
found again, fail on the third request, or hang while a worker is killed. This
server can, and it validates every request's path, query and form body against
Twilio's twilio_api_v2010.json (tests/twilio_mock.twilio_openapi) with
openapi-schema-validator; a request that breaks the document gets 422 and is
listed in `violations`.
"""
from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from openapi_schema_validator import OAS30Validator
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


class Contract:
    """Twilio's OpenAPI document, able to say what is wrong with one request."""

    def __init__(self, path: Path) -> None:
        self.doc = json.loads(path.read_text())
        self.routes = [(re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", p) + "$"), p)
                       for p in self.doc["paths"]]

    def problems(self, method: str, path: str, query: dict[str, list[str]], form: dict[str, list[str]]) -> list[str]:
        for pattern, template in self.routes:
            match = pattern.match(path)
            if match and method.lower() in self.doc["paths"][template]:
                return self._check(self.doc["paths"][template][method.lower()], match.groupdict(), query, form)
        return [f"no operation {method} {path} in the document"]

    def _check(self, op: dict, path_params: dict, query: dict, form: dict) -> list[str]:
        errors = []
        for param in op.get("parameters", []):
            values = (path_params.get(param["name"]),) if param["in"] == "path" else query.get(param["name"], ())
            if param.get("required") and not any(v is not None for v in values):
                errors.append(f"missing {param['in']} parameter {param['name']}")
            values = [_coerce([v], param["schema"]) for v in values if v is not None]
            errors += [f"{param['name']}: {e.message}" for v in values if v is not None
                       for e in OAS30Validator(param["schema"]).iter_errors(v)]
        known = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
        errors += [f"unknown query parameter {name}" for name in query if name not in known]
        schema = (op.get("requestBody", {}).get("content", {})
                  .get("application/x-www-form-urlencoded", {}).get("schema"))
        if schema is not None:
            body = {k: _coerce(v, schema.get("properties", {}).get(k, {})) for k, v in form.items()}
            errors += [f"body: {e.message}" for e in OAS30Validator(schema).iter_errors(body)]
            errors += [f"unknown body field {k}" for k in form if k not in schema.get("properties", {})]
        elif form:
            errors.append("a body where the operation takes none")
        return errors


def _coerce(values: list[str], schema: dict):
    """Form fields are strings; give the validator what the schema's type means."""
    kind = schema.get("type")
    if kind == "array":
        return [_coerce([v], schema.get("items", {})) for v in values]
    value = values[-1]
    if kind == "integer":
        return int(value) if value.lstrip("-").isdigit() else value
    if kind == "boolean":
        return {"true": True, "false": False}.get(value.lower(), value)
    return value


@dataclass
class FakeTwilio:
    """Twilio's Messages and Calls, remembered; failures and hangs scripted by the test."""

    contract: Contract
    messages: list[dict] = field(default_factory=list)
    calls: list[dict] = field(default_factory=list)
    requests: list[tuple[str, str, datetime]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    script: list[int] = field(default_factory=list)  # status codes to answer the next creates with
    on_create: Callable[[dict], None] | None = None  # runs after a create is stored, before answering
    before_create: Callable[[dict], bool] | None = None  # may swallow a create (returns False): never stored
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ, start_response):
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        query, form = request.args.to_dict(flat=False), request.form.to_dict(flat=False)
        problems = self.contract.problems(request.method, request.path, query, form)
        with self.lock:
            self.requests.append((request.method, request.path, datetime.now(UTC)))
            if problems:
                self.violations += [f"{request.method} {request.path}: {p}" for p in problems]
        if problems:
            return _json({"code": 20001, "message": "; ".join(problems), "status": 422}, 422)
        kind = "messages" if request.path.endswith("/Messages.json") else "calls"
        if request.method == "GET":
            return self.listing(kind, request.args)
        return self.create(kind, request.form)

    def create(self, kind: str, form) -> Response:
        with self.lock:
            status = self.script.pop(0) if self.script else 201
        if status == 400:
            message = f"The 'To' number {form['To']} is not a valid phone number."  # Twilio quotes the number
            return _json({"code": 21211, "message": message, "status": 400}, 400)
        if status != 201:
            return _json({"code": 20429 if status == 429 else 20500, "message": "try later", "status": status}, status)
        record = {"sid": ("SM" if kind == "messages" else "CA") + uuid.uuid4().hex, "to": form["To"],
                  "from": form["From"], "body": form.get("Body"), "status": "queued",
                  "date_created": format_datetime(datetime.now(UTC), usegmt=True),
                  "status_callback": form.get("StatusCallback"), "created": datetime.now(UTC)}
        if self.before_create is not None and not self.before_create(record):
            return _json({"code": 20500, "message": "lost", "status": 500}, 500)
        with self.lock:
            getattr(self, kind).append(record)
        if self.on_create is not None:
            self.on_create(record)
        return _json(_public(record), 201)

    def listing(self, kind: str, args) -> Response:
        since = args.get("DateSent>") or args.get("StartTime>")
        since_at = datetime.fromisoformat(since.replace("Z", "+00:00")) if since else None
        with self.lock:
            found = [r for r in getattr(self, kind) if r["to"] == args.get("To")
                     and (not args.get("From") or r["from"] == args.get("From"))
                     and (since_at is None or r["created"] >= since_at)]
        return _json({kind: [_public(r) for r in found], "next_page_uri": None, "page": 0, "page_size": 50,
                      "first_page_uri": "", "previous_page_uri": None, "uri": "", "start": 0, "end": len(found)})

    def created_for(self, notification_id: int) -> list[dict]:
        """Messages and calls whose status callback names this outbox row."""
        with self.lock:
            return [r for r in self.messages + self.calls
                    if (r["status_callback"] or "").endswith(f"?n={notification_id}")]


def _public(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "created"}


def _json(payload: dict, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")


class Server:
    """Serve a WSGI app on a free port in a thread."""

    def __init__(self, app) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
