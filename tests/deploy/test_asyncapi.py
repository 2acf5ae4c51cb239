"""deploy/asyncapi.yaml: a valid AsyncAPI 3.0 document that describes exactly the code's topics and events.

Validated against the AsyncAPI Initiative's JSON Schema for 3.0.0 (vendored from the
``@asyncapi/specs`` package, Apache-2.0: tests/deploy/schemas/).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from newswire import bus, events
from newswire.topics import ALL_TOPIC_NAMES, group_name, topic_specs
from tests.deploy.common import ASYNCAPI, ASYNCAPI_SCHEMA, ROOT, asyncapi, message_for_type, payload_validator

DOC = asyncapi()
SCHEMA_DIR = ROOT / "newswire" / "schemas"


def _errors(doc: Any) -> list[str]:
    schema = json.loads(ASYNCAPI_SCHEMA.read_text(encoding="utf-8"))
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
        for e in jsonschema.Draft7Validator(schema).iter_errors(doc)
    ]


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _pointer(doc: Any, ref: str) -> Any:
    node = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_document_validates_against_the_asyncapi_3_schema() -> None:
    assert DOC["asyncapi"] == "3.0.0"
    assert _errors(DOC) == []


def test_validation_can_fail() -> None:
    broken = json.loads(json.dumps(DOC))
    broken["operations"]["publishArticles"]["action"] = "publish"  # AsyncAPI 2 wording
    assert _errors(broken)


def test_every_topic_of_the_code_is_a_channel_with_its_configs() -> None:
    channels = DOC["channels"]
    addresses = {c["address"] for c in channels.values()}
    assert set(ALL_TOPIC_NAMES) <= addresses, f"topics missing: {set(ALL_TOPIC_NAMES) - addresses}"
    assert addresses <= set(ALL_TOPIC_NAMES), f"channels the code has no topic for: {addresses - set(ALL_TOPIC_NAMES)}"
    specs = {s.name: s for s in topic_specs()}
    for channel in channels.values():
        binding = channel["bindings"]["kafka"]
        spec = specs[channel["address"]]
        assert binding["topic"] == spec.name
        config = binding["topicConfiguration"]
        assert config["cleanup.policy"] == spec.configs["cleanup.policy"].split(",")
        for key in ("retention.ms", "max.message.bytes"):
            if key in spec.configs or key in config:
                assert str(config.get(key)) == spec.configs.get(key), f"{spec.name} {key}"


def test_every_event_type_has_a_message_with_its_shipped_schema() -> None:
    for event_type in events.SCHEMA_VERSIONS:
        message = message_for_type(event_type)
        overlay = message["payload"]["allOf"][1]["properties"]
        assert overlay["type"]["const"] == event_type
        assert overlay["dataschema"]["const"] == events.dataschema_uri(event_type)
        data_ref = overlay["data"]["$ref"]
        schema = json.loads((ASYNCAPI.parent / data_ref).read_text(encoding="utf-8"))
        assert schema["$id"] == events.dataschema_uri(event_type)
        assert Path(data_ref).name == f"{event_type}.v{events.SCHEMA_VERSIONS[event_type]}.json"


def test_all_references_resolve_and_every_shipped_schema_is_referenced() -> None:
    external = set()
    for ref in _refs(DOC):
        if ref.startswith("#/"):
            _pointer(DOC, ref)  # KeyError if dangling
        else:
            path = (ASYNCAPI.parent / ref).resolve()
            assert path.is_file(), f"$ref {ref} points at no file"
            external.add(path)
    shipped = {p.resolve() for p in SCHEMA_DIR.glob("*.json")}
    assert shipped == external, f"not referenced: {sorted(p.name for p in shipped - external)}"


def test_operations_use_their_channels_messages() -> None:
    for name, op in DOC["operations"].items():
        channel_ref = op["channel"]["$ref"]
        for message in op.get("messages", []):
            assert message["$ref"].startswith(channel_ref + "/messages/"), name
    actions = {(op["channel"]["$ref"].rsplit("/", 1)[1], op["action"]) for op in DOC["operations"].values()}
    for channel in DOC["channels"]:
        assert (channel, "send") in actions, f"nobody sends on {channel}"


def _deadletter() -> dict[str, Any]:
    envelope = bus.deadletter_envelope(
        stage="claims",
        reason="invalid_json",
        error=ValueError("not JSON"),
        record=None,
        source="urn:newswire",
        payload=b"\xff not json",
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return envelope.to_dict()


def test_a_real_event_validates_against_its_message_payload() -> None:
    event = _deadletter()
    validator = payload_validator(message_for_type(events.DEADLETTER))
    assert list(validator.iter_errors(event)) == []
    wrong = dict(event, type=events.CLAIMS_EXTRACTED)
    assert list(validator.iter_errors(wrong)), "a claims type must not pass as a dead letter"
    other = payload_validator(message_for_type(events.ARTICLE_INGESTED))
    with pytest.raises(jsonschema.ValidationError):
        other.validate(event)


def test_consumer_groups_are_the_enrichers_groups() -> None:
    """An enricher's group is StageRunner's default for its STAGE (no prefix); read without importing spaCy."""
    import re

    stages = {
        re.search(r'^STAGE = "([a-z-]+)"', (ROOT / "consumers" / kind / "service.py").read_text(), re.M).group(1)  # type: ignore[union-attr]
        for kind in ("entities", "claims")
    }
    groups = {
        op["bindings"]["kafka"]["groupId"]["const"]
        for op in DOC["operations"].values()
        if op["action"] == "receive" and "bindings" in op
    }
    assert groups == {group_name(stage) for stage in stages}
