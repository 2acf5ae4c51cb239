"""docker-compose.yml: valid against the Compose Specification, and its references are real.

No Docker engine runs here, so everything ``docker compose config`` would catch, and what it would
not (a command that is no ``newswire`` subcommand, an env name the code does not read, a port
Prometheus does not scrape), is checked in code.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from newswire.cli import build_parser
from newswire.settings import ENV_NAMES, Settings
from tests.deploy.common import (
    COMPOSE,
    COMPOSE_SCHEMA,
    EXTERNAL_KAFKA,
    PROMETHEUS,
    ROOT,
    compose,
    expand,
    interpolated_names,
    is_newswire,
    load_yaml,
    long_running,
)

DOC = compose()
SERVICES: dict[str, dict[str, Any]] = DOC["services"]
NEWSWIRE_SERVICES = {name: s for name, s in SERVICES.items() if is_newswire(s)}


def _schema_errors(doc: Any) -> list[str]:
    schema = json.loads(COMPOSE_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        return dict(item.split("=", 1) for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def _mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(source, target) of each short-syntax volume entry."""
    out = []
    for entry in service.get("volumes", []):
        assert isinstance(entry, str), f"use the short volume syntax: {entry!r}"
        source, target = entry.split(":")[:2]
        out.append((source, target))
    return out


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command")
    assert isinstance(command, list), "newswire commands are exec-form lists"
    return [str(c) for c in command]


def test_compose_file_validates_against_the_compose_spec() -> None:
    assert COMPOSE_SCHEMA.exists(), f"missing {COMPOSE_SCHEMA} (the shared Compose Specification schema)"
    assert _schema_errors(DOC) == []


def test_schema_check_can_fail() -> None:
    broken = json.loads(json.dumps(DOC))
    broken["services"]["projector"]["restrat"] = "always"  # a typo: unknown key
    assert _schema_errors(broken)
    broken = json.loads(json.dumps(DOC))
    broken["services"]["projector"]["depends_on"]["kafka"]["condition"] = "service_ready"
    assert _schema_errors(broken)


def test_external_kafka_override_validates_and_disables_only_the_bundled_broker() -> None:
    override = load_yaml(EXTERNAL_KAFKA)
    assert _schema_errors(override) == []
    assert set(override["services"]) == {"kafka"}
    assert override["services"]["kafka"]["profiles"], "the bundled broker moves behind a profile"
    # every dependency on the bundled broker must tolerate its absence
    for name, service in SERVICES.items():
        dep = service.get("depends_on", {}).get("kafka")
        if dep is not None:
            assert dep.get("required") is False, f"{name}: depends_on kafka needs required: false"


def test_every_newswire_command_is_a_real_subcommand() -> None:
    parser = build_parser()
    expected = {"topic-init", "replay-seeds", "ingestor", "enrich-entities", "enrich-claims", "projector"}
    assert expected <= set(NEWSWIRE_SERVICES)
    for name, service in NEWSWIRE_SERVICES.items():
        argv = _command(service)
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # argparse reports and exits
            pytest.fail(f"{name}: `newswire {' '.join(argv)}` is not a valid command ({exc})")
        func = getattr(args, "func", None)
        assert callable(func), f"{name}: {argv} selects no command"
        assert "_missing" not in getattr(func, "__qualname__", ""), f"{name}: {argv} is not built yet"


def test_command_check_can_fail() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["enrich", "sentiment"])


def test_env_names_are_the_settings_names_and_values_parse() -> None:
    for name, service in NEWSWIRE_SERVICES.items():
        env = _env(service)
        unknown = {k for k in env if k.startswith("NEWSWIRE_")} - set(ENV_NAMES)
        assert not unknown, f"{name}: env names the code does not read: {sorted(unknown)}"
        expanded = {k: expand(v) for k, v in env.items() if k.startswith("NEWSWIRE_")}
        settings = Settings.from_env(expanded)  # raises on a value the code cannot use
        assert settings.http_host == "0.0.0.0", f"{name}: must listen on all interfaces in a container"
    # ${NEWSWIRE_*} interpolations anywhere in the file are settings too
    text = COMPOSE.read_text(encoding="utf-8")
    interpolated = {n for n in interpolated_names(text) if n.startswith("NEWSWIRE_")}
    assert interpolated - {"NEWSWIRE_IMAGE"} <= set(ENV_NAMES)


def _settings_of(service: dict[str, Any]) -> Settings:
    return Settings.from_env({k: expand(v) for k, v in _env(service).items() if k.startswith("NEWSWIRE_")})


def _metrics_port(name: str, service: dict[str, Any]) -> int:
    """Where the process serves /metrics: the projector on its HTTP port, the others on the metrics port."""
    s = _settings_of(service)
    return s.http_port if name == "projector" else s.metrics_port


def test_ports_match_the_settings_and_prometheus_scrapes_every_stage() -> None:
    projector = SERVICES["projector"]
    http_port = _settings_of(projector).http_port
    published = [str(p) for p in projector["ports"]]
    assert any(expand(p).split(":")[-1] == str(http_port) for p in published), published
    assert f":{http_port}/healthz" in " ".join(projector["healthcheck"]["test"])

    prom = load_yaml(PROMETHEUS / "prometheus.yml")
    scraped: dict[str, int] = {}
    for job in prom["scrape_configs"]:
        for sd in job.get("dns_sd_configs", []):
            assert sd["type"] == "A", "Docker's DNS answers A records, one per replica"
            for host in sd["names"]:
                scraped[host] = int(sd["port"])
    stages = {n: s for n, s in NEWSWIRE_SERVICES.items() if long_running(s)}
    assert set(stages) == {"ingestor", "enrich-entities", "enrich-claims", "projector"}
    for name, service in stages.items():
        port = _metrics_port(name, service)
        assert port > 0, f"{name} serves no /metrics"
        assert scraped.get(name) == port, f"{name}: Prometheus scrapes {scraped.get(name)}, it serves {port}"
        health = " ".join(service["healthcheck"]["test"])
        assert f":{port}/" in health, f"{name}: health check probes another port: {health}"
    assert set(scraped) <= set(SERVICES), f"scrape targets that are no service: {set(scraped) - set(SERVICES)}"


def test_scalable_stages_have_no_fixed_name_or_host_port() -> None:
    for name in ("enrich-entities", "enrich-claims", "ingestor"):
        service = SERVICES[name]
        assert "container_name" not in service, name
        assert "ports" not in service, name


def test_mounted_files_exist_and_named_volumes_are_declared() -> None:
    declared = set(DOC.get("volumes", {}))
    for name, service in SERVICES.items():
        for source, target in _mounts(service):
            if source.startswith((".", "/")):
                path = (ROOT / source).resolve()
                assert path.exists(), f"{name}: mounts {source} which does not exist"
            else:
                assert source in declared, f"{name}: named volume {source} is not declared"
            assert target.startswith("/"), f"{name}: {target}"
        build = service.get("build")
        if isinstance(build, dict):
            assert (ROOT / build["context"] / build["dockerfile"]).is_file()


def test_order_restart_and_health() -> None:
    kafka = SERVICES["kafka"]
    image = kafka["image"]
    assert image.startswith("apache/kafka:") and image.split(":")[1][0].isdigit(), f"pin a version: {image}"
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller", "KRaft, one node"
    assert "healthcheck" in kafka
    assert any(target == expand(kafka["environment"]["KAFKA_LOG_DIRS"]) for _s, target in _mounts(kafka))
    assert _command(SERVICES["topic-init"]) == ["topics", "create"]
    assert SERVICES["topic-init"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert SERVICES["ingestor"]["profiles"] == ["feeds"]
    for name, service in SERVICES.items():
        for dep, cond in service.get("depends_on", {}).items():
            assert dep in SERVICES, f"{name} depends on unknown service {dep}"
            condition = cond["condition"]
            if SERVICES[dep].get("restart", "no") == "no":  # one-shot jobs
                assert condition == "service_completed_successfully", f"{name} → {dep}"
            else:
                assert condition == "service_healthy", f"{name} → {dep}"
                assert "healthcheck" in SERVICES[dep], f"{dep} has no health check to wait on"
        if name != "topic-init":
            assert service.get("restart") in ("unless-stopped", "always", "on-failure:3"), name
        if long_running(service):
            assert "healthcheck" in service, f"{name} has no health check"
    for name in ("replay-seeds", "ingestor", "enrich-entities", "enrich-claims", "projector"):
        deps = SERVICES[name]["depends_on"]
        assert deps["topic-init"]["condition"] == "service_completed_successfully", name


def test_projector_keeps_its_checkpoint_on_a_volume() -> None:
    projector = SERVICES["projector"]
    data_dir = _settings_of(projector).data_dir
    assert any(target == data_dir and not source.startswith(".") for source, target in _mounts(projector))


def test_grafana_mounts_the_provisioning_and_allows_anonymous_viewers() -> None:
    grafana = SERVICES["grafana"]
    env = _env(grafana)
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "true"
    assert env["GF_AUTH_ANONYMOUS_ORG_ROLE"] == "Viewer"
    targets = dict((t, s) for s, t in _mounts(grafana))
    assert targets["/etc/grafana/provisioning"] == "./deploy/grafana/provisioning"


def test_replay_seeds_reads_the_seed_directory() -> None:
    service = SERVICES["replay-seeds"]
    args = build_parser().parse_args(_command(service))
    assert isinstance(args, argparse.Namespace)
    mounts = dict((t, s) for s, t in _mounts(service))
    assert Path(args.paths[0]).as_posix() in mounts
    assert any((ROOT / mounts["/app/seeds"]).glob("*.txt"))


def test_the_mounted_feeds_file_is_a_valid_feed_list() -> None:
    from ingestor.feeds.config import parse_config

    mounts = dict((t, s) for s, t in _mounts(SERVICES["ingestor"]))
    args = build_parser().parse_args(_command(SERVICES["ingestor"]))
    source = ROOT / mounts[str(args.feeds)]
    config = parse_config(source.read_text(encoding="utf-8"))
    assert config.feeds, f"{source} lists no feed"
