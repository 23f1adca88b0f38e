"""The served OpenAPI document: valid, equal to the routes, and fuzzed with Schemathesis against the server."""
from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection, ignored_auth]


def test_document_is_valid_openapi_3_1(client):
    from openapi_spec_validator import validate

    validate(client.get("/api/v1/openapi.json").get_json())


def test_document_describes_exactly_the_routes(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    documented = {(path, method.upper()) for path, ops in document["paths"].items() for method in ops}
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            served |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == served


def test_every_problem_code_is_documented(client):
    from online_api.problems import CODES

    document = client.get("/api/v1/openapi.json").get_json()
    assert set(document["components"]["schemas"]["Problem"]["properties"]["code"]["enum"]) == set(CODES)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=30, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_schemathesis_no_5xx_and_responses_match_the_document(case, fuzz_target):
    _, api_world = fuzz_target
    case.call_and_validate(headers={"X-API-Key": api_world.key}, checks=CHECKS)
