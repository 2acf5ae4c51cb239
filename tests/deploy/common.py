"""Shared helpers of the deployment tests: paths, the compose file, ``${VAR:-default}`` expansion."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = ROOT / "docker-compose.yml"
EXTERNAL_KAFKA = DEPLOY / "compose.external-kafka.yml"
COMPOSE_SCHEMA = ROOT.parent / "shared" / "schemas" / "compose-spec.json"
PROMETHEUS = DEPLOY / "prometheus"
GRAFANA = DEPLOY / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "newswire.json"
ASYNCAPI = DEPLOY / "asyncapi.yaml"
ASYNCAPI_SCHEMA = Path(__file__).resolve().parent / "schemas" / "asyncapi-3.0.0.json"

_VAR = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::?-(?P<default>[^}]*))?\}")


def load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def compose() -> dict[str, Any]:
    doc: dict[str, Any] = load_yaml(COMPOSE)
    return doc


def interpolated_names(value: str) -> list[str]:
    """The variable names a compose value interpolates (``${NAME}``, ``${NAME:-default}``)."""
    return [m.group("name") for m in _VAR.finditer(value)]


def expand(value: object) -> str:
    """A compose value with every ``${VAR:-default}`` replaced by its default (as compose would, unset)."""
    return _VAR.sub(lambda m: m.group("default") or "", str(value))


def is_newswire(service: dict[str, Any]) -> bool:
    """A service that runs the newswire image (built from deploy/Dockerfile)."""
    build = service.get("build")
    return isinstance(build, dict) and build.get("dockerfile") == "deploy/Dockerfile"


def long_running(service: dict[str, Any]) -> bool:
    return str(service.get("restart", "no")) in ("always", "unless-stopped")


def asyncapi() -> dict[str, Any]:
    doc: dict[str, Any] = load_yaml(ASYNCAPI)
    return doc


def payload_validator(message: dict[str, Any]) -> Any:
    """A Draft-7 validator of an AsyncAPI message's payload, with its relative file ``$ref``s resolved
    against the AsyncAPI document's location (as a code generator would resolve them)."""
    import json
    from urllib.parse import urlparse

    from jsonschema import Draft7Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    def retrieve(uri: str) -> Resource[Any]:
        path = Path(urlparse(uri).path)
        return Resource.from_contents(json.loads(path.read_text(encoding="utf-8")), default_specification=DRAFT7)

    schema = {"$id": ASYNCAPI.resolve().as_uri(), **message["payload"]}
    registry: Registry[Any] = Registry(retrieve=retrieve)  # type: ignore[call-arg]
    return Draft7Validator(schema, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)


def message_for_type(event_type: str) -> dict[str, Any]:
    """The AsyncAPI message (components/messages) whose name is a CloudEvents ``type``."""
    for message in asyncapi()["components"]["messages"].values():
        if message["name"] == event_type:
            return message  # type: ignore[no-any-return]
    raise KeyError(event_type)
