"""Input checks against the OpenAPI document's own schemas, reported field by field."""
from __future__ import annotations

from datetime import date
from functools import cache

from jsonschema import Draft202012Validator

from online_api.openapi import document


@cache
def _validator(schema_name: str) -> Draft202012Validator:
    # The whole document is the root so that its internal $refs resolve; unknown keywords are ignored.
    schema = {**document(), "$ref": f"#/components/schemas/{schema_name}"}
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def errors_for(schema_name: str, data) -> list[dict[str, str]]:
    """Every problem with `data` as {field, message}, sorted by field; [] when valid."""
    found = {}
    for error in _validator(schema_name).iter_errors(data):
        for field, message in _describe(error):
            found.setdefault(field, message)
    return [{"field": f, "message": m} for f, m in sorted(found.items())]


def _describe(error) -> list[tuple[str, str]]:
    """Name the offending field(s) in terms a portal developer reads: 'first_slot_id', 'body'."""
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "required":
        missing = [p for p in error.validator_value if isinstance(error.instance, dict) and p not in error.instance]
        return [(_join(path, p), "is required") for p in missing]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        return [(_join(path, p), "is not a known field") for p in error.instance if p not in known]
    if error.validator == "type" and not path:
        return [("body", "a JSON object is expected")]
    return [(path or "body", _message(error))]


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else str(name)


def _message(error) -> str:
    kind = error.validator
    if kind == "pattern" or kind == "format":
        return "has the wrong format" + (" (YYYY-MM-DD expected)" if error.schema.get("format") == "date" else "")
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"out of range ({kind} {error.validator_value})"
    if kind in ("minLength", "maxLength"):
        return f"wrong length ({kind} {error.validator_value})"
    if kind == "enum":
        return "one of " + ", ".join(str(v) for v in error.validator_value)
    if kind in ("type", "anyOf"):
        return "has the wrong type"
    return error.message[:200]


def parse_date(value: str) -> date:
    """A YYYY-MM-DD string already checked by the schema."""
    return date.fromisoformat(value)
