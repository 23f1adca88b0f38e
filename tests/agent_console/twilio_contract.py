"""Outgoing Twilio REST requests checked against Twilio's OpenAPI document (tests/twilio_mock.twilio_openapi).

A recording twilio HttpClient answers like Twilio would and keeps every
request; `check_request` matches its URL to a path of the document and
validates its form fields against the operation's requestBody schema (with
tests/twilio_fake.Contract, plus names, required fields and enums here).
"""
from __future__ import annotations

import json
import logging
import re
from functools import lru_cache
from urllib.parse import urlsplit

from twilio.http import HttpClient
from twilio.http.response import Response

from tests.twilio_mock import twilio_openapi


@lru_cache(maxsize=1)
def spec() -> dict:
    # Read on the first Twilio request, so console tests that make none do not need the document
    return json.loads(twilio_openapi().read_text())


def _pattern(template: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", r"[^/]+", re.escape(template)) + "$")


def operation_for(method: str, url: str) -> tuple[str, dict]:
    """The document's path template and operation for a request, or AssertionError."""
    parts = urlsplit(url)
    assert parts.scheme == "https" and parts.netloc == "api.twilio.com", f"not Twilio's API host: {url}"
    for template, item in spec()["paths"].items():
        if _pattern(template).match(parts.path) and method.lower() in item:
            return template, item[method.lower()]
    raise AssertionError(f"{method} {parts.path} is not in Twilio's OpenAPI document")


@lru_cache(maxsize=1)
def full_contract():
    """The schema validator of tests/twilio_fake.py (openapi-schema-validator), shared with the jobs' tests."""
    from tests.twilio_fake import Contract

    return Contract(twilio_openapi())


def check_request(method: str, url: str, data: dict | None) -> str:
    """Assert that a request is one the document describes; returns the operationId."""
    template, operation = operation_for(method, url)
    data = data or {}
    form = {k: [str(v)] for k, v in data.items()}
    problems = full_contract().problems(method, urlsplit(url).path, {}, form)
    assert not problems, f"{operation['operationId']}: {problems}"
    body = operation.get("requestBody", {}).get("content", {}).get("application/x-www-form-urlencoded", {})
    schema = body.get("schema", {})
    properties = schema.get("properties", {})
    for name in schema.get("required", []):
        assert name in data, f"{operation['operationId']}: required field {name} missing"
    for name, value in data.items():
        assert name in properties, f"{operation['operationId']}: field {name} is not in the document"
        prop = properties[name]
        enum = prop.get("enum") or _ref(prop.get("$ref", "")).get("enum")
        if enum:
            assert value in enum, f"{operation['operationId']}: {name}={value!r} not one of {enum}"
        if prop.get("format") == "uri":
            assert str(value).startswith(("http://", "https://")), f"{name} must be a URL"
    return operation["operationId"]


def _ref(ref: str) -> dict:
    if not ref.startswith("#/"):
        return {}
    node = spec()
    for part in ref[2:].split("/"):
        node = node[part]
    return node


class RecordingTwilio(HttpClient):
    """Answers like Twilio, checks each request against the document, keeps them all."""

    def __init__(self) -> None:
        super().__init__(logging.getLogger("twilio.http_client"), is_async=False)
        self.requests: list[dict] = []
        self.fail_with: tuple[int, dict] | None = None

    def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None,
                allow_redirects=False):
        operation = check_request(method, url, data)
        self.requests.append({"method": method, "url": url, "data": dict(data or {}), "operation": operation})
        if self.fail_with:
            status, payload = self.fail_with
            return Response(status, json.dumps(payload))
        sid = url.rsplit("/", 1)[-1].removesuffix(".json")
        call_sid = sid if sid.startswith("CA") else "CA" + "f" * 32
        return Response(200 if method == "POST" and not url.endswith("/Calls.json") else 201,
                        json.dumps({"sid": call_sid, "account_sid": "AC" + "0" * 32, "status": "queued"}))
