"""One validated settings object, read from ``NEWSWIRE_*`` environment variables.

Every process (ingestor, enrichers, projector, ``up``) reads the same names, in the local run and
under docker compose alike. CLI flags override single fields with ``dataclasses.replace``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path


class SettingsError(ValueError):
    """A ``NEWSWIRE_*`` variable has a value that cannot be used."""


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise SettingsError(f"{name}={raw!r}: expected true or false")


def _int(name: str, raw: str, minimum: int) -> int:
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r}: expected an integer") from exc
    if value < minimum:
        raise SettingsError(f"{name}={value}: must be at least {minimum}")
    return value


@dataclass(frozen=True)
class Settings:
    """Configuration shared by every newswire process (the env name is ``NEWSWIRE_`` + upper name)."""

    kafka_bootstrap: str = "127.0.0.1:9092"
    topic_prefix: str = ""
    partitions: int = 3
    replication_factor: int = 1
    client_id: str = "newswire"
    max_poll_records: int = 16
    max_poll_interval_ms: int = 30_000
    session_timeout_ms: int = 10_000
    request_timeout_ms: int = 30_000
    retries: int = 5
    retry_backoff_ms: int = 200
    connect_timeout_s: int = 300
    #: a Kafka client call still blocked after this long ends the process for a restart (0: never)
    stall_timeout_s: int = 180
    max_event_bytes: int = 1_000_000
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    metrics_port: int = 0
    data_dir: str = ".newswire"
    log_level: str = "INFO"
    log_format: str = "json"
    allow_private_networks: bool = False
    event_source: str = "urn:newswire"
    #: extra entity alias files (os.pathsep-separated) merged over consumers/nlp/data/aliases.json
    aliases: str = ""
    #: the projector's view keeps this many days of news before its newest articles (0: all)
    view_window_days: int = 30

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``env`` (default ``os.environ``), validating every value."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in fields(cls):
            name = "NEWSWIRE_" + f.name.upper()
            if name not in env:
                continue
            raw = env[name]
            if f.type == "int":
                values[f.name] = _int(name, raw, 0)
            elif f.type == "bool":
                values[f.name] = _bool(name, raw)
            else:
                values[f.name] = raw
        settings = cls(**values)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def validate(self) -> None:
        if not self.kafka_bootstrap.strip():
            raise SettingsError("NEWSWIRE_KAFKA_BOOTSTRAP is empty")
        if self.partitions < 1:
            raise SettingsError("NEWSWIRE_PARTITIONS must be at least 1")
        if self.max_poll_records < 1:
            raise SettingsError("NEWSWIRE_MAX_POLL_RECORDS must be at least 1")
        if self.log_format not in ("json", "text"):
            raise SettingsError("NEWSWIRE_LOG_FORMAT must be json or text")
        join_s = (self.max_poll_interval_ms + self.request_timeout_ms) / 1000
        if 0 < self.stall_timeout_s <= join_s:
            raise SettingsError(
                f"NEWSWIRE_STALL_TIMEOUT_S={self.stall_timeout_s} must exceed a legitimate group join "
                f"(max poll interval + request timeout = {join_s:.0f} s), or be 0 to turn the watchdog off"
            )
        if self.view_window_days < 0:
            raise SettingsError("NEWSWIRE_VIEW_WINDOW_DAYS must be at least 0 (0: keep everything)")
        if not 0 <= self.http_port < 65536 or not 0 <= self.metrics_port < 65536:
            raise SettingsError("ports must be between 0 and 65535")

    @property
    def bootstrap_servers(self) -> list[str]:
        return [s.strip() for s in self.kafka_bootstrap.split(",") if s.strip()]

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    def as_env(self) -> dict[str, str]:
        """The environment that reproduces these settings in a child process."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out["NEWSWIRE_" + f.name.upper()] = str(value).lower() if isinstance(value, bool) else str(value)
        return out


ENV_NAMES: tuple[str, ...] = tuple("NEWSWIRE_" + f.name.upper() for f in fields(Settings))
