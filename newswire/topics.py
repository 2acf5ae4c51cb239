"""Topic names and their configuration, read from the packaged ``topics.toml``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

ARTICLES = "articles"
ENTITIES = "entities"
CLAIMS = "claims"
STATE = "state"
DEADLETTER = "deadletter"
ROLES: tuple[str, ...] = (ARTICLES, ENTITIES, CLAIMS, STATE, DEADLETTER)


@dataclass(frozen=True)
class TopicSpec:
    """One topic of the contract: its role, full name (prefix applied) and broker configs."""

    role: str
    name: str
    partitions: int
    configs: dict[str, str]


def _load() -> dict[str, Any]:
    text = resources.files("newswire").joinpath("topics.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)["topics"]  # type: ignore[no-any-return]


_RAW = _load()


def topic_name(role: str, prefix: str = "") -> str:
    """The full topic name for a role (``articles``, ``claims``, …) with the configured prefix."""
    return prefix + str(_RAW[role]["name"])


def group_name(stage: str, prefix: str = "") -> str:
    """A stage's consumer group, ``newswire-<stage>`` behind the same prefix as its topics.

    Deployments that share a cluster under different prefixes then never share a group: a member
    of one (or a dead member it left behind) cannot hold up the other's rebalances.
    """
    return f"{prefix}newswire-{stage}"


def topic_specs(prefix: str = "", default_partitions: int = 3) -> list[TopicSpec]:
    return [
        TopicSpec(
            role=role,
            name=prefix + str(raw["name"]),
            partitions=int(raw.get("partitions", default_partitions)),
            configs={str(k): str(v) for k, v in raw.get("configs", {}).items()},
        )
        for role, raw in _RAW.items()
    ]


ALL_TOPIC_NAMES: tuple[str, ...] = tuple(str(raw["name"]) for raw in _RAW.values())
