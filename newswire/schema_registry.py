"""The shipped JSON Schemas and a validator for whole events (envelope + data).

Tests validate every event they see with :func:`validate_event`; stages use :func:`check_event`
to dead-letter a record whose data does not match its declared schema.

Every record a stage reads is checked, so the check is on the hot path: jsonschema-rs (compiled,
about a hundred times faster here) passes the valid ones; only a record it finds invalid goes
through ``jsonschema``, the reference implementation, which decides and words the errors.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib import resources
from typing import Any

import jsonschema_rs
import orjson
from jsonschema import Draft7Validator, FormatChecker

from newswire.events import SCHEMA_VERSIONS


class SchemaError(ValueError):
    """An event does not match its JSON Schema; ``errors`` lists every violation found."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors[:5]))
        self.errors = errors


def schema_file(event_type: str, version: int) -> str:
    return f"{event_type}.v{version}.json"


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    text = resources.files("newswire.schemas").joinpath(name).read_text(encoding="utf-8")
    return orjson.loads(text)  # type: ignore[no-any-return]


@functools.cache
def _validator(name: str) -> Draft7Validator:
    return Draft7Validator(load_schema(name), format_checker=FormatChecker())


@functools.cache
def _fast_validator(name: str) -> jsonschema_rs.Draft7Validator:
    return jsonschema_rs.Draft7Validator(load_schema(name))


def _errors(name: str, instance: Any) -> list[str]:
    if _fast_validator(name).is_valid(instance):
        return []
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
        for e in _validator(name).iter_errors(instance)
    ]


def _version_of(dataschema: str) -> int:
    try:
        return int(dataschema.rsplit(":v", 1)[1])
    except (IndexError, ValueError) as exc:
        raise SchemaError([f"dataschema {dataschema!r} names no version"]) from exc


def check_event(event: Mapping[str, Any]) -> None:
    """Raise :class:`SchemaError` unless ``event`` (a decoded envelope dict) is valid."""
    errors = _errors("cloudevent.json", event)
    if errors:
        raise SchemaError(errors)
    event_type = str(event["type"])
    version = _version_of(str(event["dataschema"]))
    if version > SCHEMA_VERSIONS[event_type]:
        raise SchemaError([f"{event_type} v{version} is newer than this code knows"])
    errors = _errors(schema_file(event_type, version), event["data"])
    if errors:
        raise SchemaError(errors)


def validate_event(event: Mapping[str, Any] | bytes) -> dict[str, Any]:
    """Validate an event given as a dict or as record bytes; return the decoded dict."""
    decoded: dict[str, Any] = orjson.loads(event) if isinstance(event, bytes) else dict(event)
    check_event(decoded)
    return decoded


def schema_names() -> list[str]:
    return sorted(p.name for p in resources.files("newswire.schemas").iterdir() if p.name.endswith(".json"))
