"""The dashboard against real data: the compose services run as local processes on the embedded
broker, a real Prometheus (Debian's) scrapes them with the job names of deploy/prometheus, and every
PromQL expression of every dashboard panel must return a non-empty result.

The services are taken from docker-compose.yml itself (command and NEWSWIRE_* environment), with
only what a container network provides replaced: the broker address, free loopback ports, a
temporary data directory, and container paths mapped to files here. The feeds come from a local
HTTP server (one healthy feed that answers 304 to a conditional GET, one that is gone); one
undecodable record is put on the articles topic so the dead-letter panels have something to show.
The claims enricher runs as two replicas (``--scale enrich-claims=2``): one group, two targets.
Real events read back from every topic are validated against deploy/asyncapi.yaml.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from kafka import KafkaProducer, TopicPartition

from newswire import bus, events
from newswire.broker import free_port
from newswire.settings import Settings
from newswire.topics import ROLES, topic_name
from tests.conftest import SEEDS, wait_until
from tests.deploy.common import (
    DASHBOARD,
    PROMETHEUS,
    compose,
    expand,
    is_newswire,
    message_for_type,
    payload_validator,
)

pytestmark = [
    pytest.mark.broker,
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("prometheus") is None,
        reason="prometheus not installed (Debian package `prometheus`; .ci/run installs it)",
    ),
]

#: Grafana's interval variables, as Grafana would expand them for a 1 s scrape interval.
GRAFANA_VARS = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h"}
SETTLE_TIMEOUT_S = 240.0
#: Scaled like `docker compose up --scale enrich-claims=2`: one consumer group, two scrape targets.
REPLICAS = {"enrich-claims": 2}


# ---------------------------------------------------------------------------------------------
# a feed server: one feed of seed articles (ETag → 304 on a repeat poll), one feed that is gone


def _seed_pages() -> list[tuple[str, str]]:
    pages = []
    for path in sorted(SEEDS.glob("*.txt"))[:2]:
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
        pages.append((lines[0], "\n".join(f"<p>{ln}</p>" for ln in lines[1:])))
    return pages


class FeedServer:
    def __init__(self) -> None:
        pages = _seed_pages()
        self.port = free_port()
        base = f"http://127.0.0.1:{self.port}"
        now = formatdate(usegmt=True)
        items = "".join(
            f"<item><title>{title}</title><link>{base}/story/{i}.html</link>"
            f"<guid>{base}/story/{i}.html</guid><pubDate>{now}</pubDate>"
            f"<description>{title}</description></item>"
            for i, (title, _body) in enumerate(pages)
        )
        self.feed = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Local wire</title><link>{base}/</link><description>test</description>{items}"
            "</channel></rss>"
        ).encode()
        self.etag = '"' + hashlib.sha256(self.feed).hexdigest()[:16] + '"'
        self.pages = {
            f"/story/{i}.html": (
                f"<html><head><title>{t}</title></head><body><article><h1>{t}</h1>{b}</article></body></html>"
            ).encode()
            for i, (t, b) in enumerate(pages)
        }
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/feed.xml":
                    if self.headers.get("If-None-Match") == server.etag:
                        self.send_response(304)
                        self.send_header("ETag", server.etag)
                        self.end_headers()
                        return
                    self._send(200, server.feed, "application/rss+xml", etag=server.etag)
                elif self.path in server.pages:
                    self._send(200, server.pages[self.path], "text/html; charset=utf-8")
                else:
                    self._send(404, b"gone", "text/plain")

            def _send(self, code: int, body: bytes, ctype: str, etag: str | None = None) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                if etag:
                    self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def feeds_toml(self) -> str:
        base = f"http://127.0.0.1:{self.port}"
        return (
            f'[[feeds]]\nname = "local-wire"\nurl = "{base}/feed.xml"\ninterval = 1\n\n'
            f'[[feeds]]\nname = "gone-wire"\nurl = "{base}/missing.xml"\ninterval = 1\n'
        )

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# ---------------------------------------------------------------------------------------------
# the compose services as processes


@dataclass
class Service:
    name: str  # the compose service
    argv: list[str]
    env: dict[str, str]
    log: Path
    metrics_port: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def tail(self, n: int = 30) -> str:
        lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines() if self.log.exists() else []
        return f"--- {self.name} ({self.log}) ---\n" + "\n".join(lines[-n:])


def _service_from_compose(
    name: str, spec: dict[str, Any], settings: Settings, workdir: Path, paths: dict[str, str], replica: int = 1
) -> Service:
    env = {k: expand(v) for k, v in spec.get("environment", {}).items() if k.startswith("NEWSWIRE_")}
    local = replace(
        Settings.from_env(env),  # the compose values, validated as the container would
        kafka_bootstrap=settings.kafka_bootstrap,
        topic_prefix=settings.topic_prefix,
        partitions=settings.partitions,
        max_poll_interval_ms=settings.max_poll_interval_ms,
        session_timeout_ms=settings.session_timeout_ms,
        connect_timeout_s=settings.connect_timeout_s,
        http_host="127.0.0.1",
        data_dir=str(workdir / f"{name}-{replica}"),
        log_format="text",
        allow_private_networks=True,  # the test's feed server is on loopback
    )
    if local.metrics_port:
        local = replace(local, metrics_port=free_port())
    if name == "projector":
        local = replace(local, http_port=free_port())
    command = [paths.get(arg, arg) for arg in spec["command"]]
    full_env = {**os.environ, **local.as_env()}
    port = local.http_port if name == "projector" else local.metrics_port
    log = workdir / f"{name}-{replica}.log"
    return Service(name, [sys.executable, "-m", "newswire", *command], full_env, log, port)


# ---------------------------------------------------------------------------------------------
# Prometheus


@dataclass
class Prometheus:
    url: str
    process: subprocess.Popen[bytes]

    def query(self, expr: str) -> dict[str, Any]:
        qs = urllib.parse.urlencode({"query": expr})
        with urllib.request.urlopen(f"{self.url}/api/v1/query?{qs}", timeout=10) as resp:
            body: dict[str, Any] = json.loads(resp.read())
        return body

    def get(self, path: str) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}{path}", timeout=10) as resp:
            body: dict[str, Any] = json.loads(resp.read())
        return body


def _prometheus_config(ports: dict[str, list[int]], self_port: int) -> dict[str, Any]:
    """deploy/prometheus/prometheus.yml with Docker DNS discovery replaced by the local ports."""
    config: dict[str, Any] = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text(encoding="utf-8"))
    config["global"]["scrape_interval"] = "1s"
    config["global"]["scrape_timeout"] = "1s"
    config["global"]["evaluation_interval"] = "1s"
    jobs = []
    for job in config["scrape_configs"]:
        if job["job_name"] == "prometheus":
            job["static_configs"] = [{"targets": [f"127.0.0.1:{self_port}"]}]
            jobs.append(job)
            continue
        (sd,) = job.pop("dns_sd_configs")
        (service,) = sd["names"]
        if service not in ports:
            continue
        job["static_configs"] = [{"targets": [f"127.0.0.1:{port}" for port in ports[service]]}]
        jobs.append(job)
    config["scrape_configs"] = jobs
    return config


@pytest.fixture
def prometheus_factory(tmp_path: Path) -> Iterator[Any]:
    started: list[subprocess.Popen[bytes]] = []

    def start(ports: dict[str, list[int]]) -> Prometheus:
        port = free_port()
        conf_dir = tmp_path / "prometheus"
        conf_dir.mkdir()
        shutil.copy(PROMETHEUS / "rules.yml", conf_dir / "rules.yml")
        (conf_dir / "prometheus.yml").write_text(yaml.safe_dump(_prometheus_config(ports, port)))
        log = (conf_dir / "prometheus.log").open("wb")
        process = subprocess.Popen(
            [
                shutil.which("prometheus") or "prometheus",
                f"--config.file={conf_dir / 'prometheus.yml'}",
                f"--storage.tsdb.path={conf_dir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        started.append(process)
        prom = Prometheus(f"http://127.0.0.1:{port}", process)

        def ready() -> bool:
            try:
                with urllib.request.urlopen(f"{prom.url}/-/ready", timeout=2) as resp:
                    return bool(resp.status == 200)
            except OSError:
                assert process.poll() is None, (conf_dir / "prometheus.log").read_text()
                return False

        wait_until(ready, timeout=30, what="prometheus ready")
        return prom

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=20)


# ---------------------------------------------------------------------------------------------
# the dashboard's queries


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title / refId, PromQL with Grafana's variables expanded) for every panel target."""
    dash = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    out = []

    def walk(panels: list[dict[str, Any]]) -> None:
        for p in panels:
            walk(p.get("panels", []))
            for t in p.get("targets", []):
                expr = t["expr"]
                for var, value in GRAFANA_VARS.items():
                    expr = expr.replace(var, value)
                assert "$" not in expr, f"unexpanded variable in {p['title']!r}: {expr}"
                out.append((f"{p['title']} / {t['refId']}", expr))

    walk(dash["panels"])
    return out


def _read_events(settings: Settings) -> dict[str, list[dict[str, Any]]]:
    consumer = bus.make_consumer(settings, "deploy-test-reader", None)
    try:
        found: dict[str, list[dict[str, Any]]] = {}
        for role in ROLES:
            name = topic_name(role, settings.topic_prefix)
            tps = [TopicPartition(name, p) for p in sorted(consumer.partitions_for_topic(name) or ())]
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            values: list[dict[str, Any]] = []
            idle = 0
            while idle < 3:
                polled = consumer.poll(timeout_ms=500)
                batch = [r for rs in polled.values() for r in rs]
                idle = 0 if batch else idle + 1
                for record in batch:
                    try:
                        values.append(events.decode(record.value).to_dict())
                    except events.EnvelopeError:
                        continue  # the test's own poison record
            found[role] = values
        return found
    finally:
        consumer.close(autocommit=False)


def test_every_dashboard_query_has_data_from_the_real_pipeline(
    settings: Settings, tmp_path: Path, prometheus_factory: Any
) -> None:
    queries = dashboard_queries()
    assert len(queries) >= 15
    doc = compose()
    specs = {name: s for name, s in doc["services"].items() if is_newswire(s)}
    services: list[Service] = []
    with FeedServer() as feeds:
        feeds_file = tmp_path / "feeds.toml"
        feeds_file.write_text(feeds.feeds_toml())
        paths = {"/app/seeds": str(SEEDS), "/config/feeds.toml": str(feeds_file)}
        made = {n: _service_from_compose(n, s, settings, tmp_path, paths) for n, s in specs.items()}
        extra = [
            _service_from_compose(n, specs[n], settings, tmp_path, paths, replica=i)
            for n, count in REPLICAS.items()
            for i in range(2, count + 1)
        ]
        try:
            # topic-init, exactly as compose runs it first
            init = made["topic-init"]
            done = subprocess.run(init.argv, env=init.env, capture_output=True, text=True, timeout=120, check=False)
            assert done.returncode == 0, done.stdout + done.stderr

            stages = [s for n, s in made.items() if n not in ("topic-init", "replay-seeds")] + extra
            for service in stages:
                service.start()
                services.append(service)
            ports: dict[str, list[int]] = {}
            for service in stages:
                ports.setdefault(service.name, []).append(service.metrics_port)
            prom = prometheus_factory(ports)

            replay = made["replay-seeds"]
            seeds = len(list(SEEDS.glob("*.txt")))
            consumers_of_articles = [n for n in ("enrich-entities", "enrich-claims", "projector") if n in made]
            for round_ in range(2):
                done = subprocess.run(
                    replay.argv, env=replay.env, capture_output=True, text=True, timeout=120, check=False
                )
                assert done.returncode == 0, done.stdout + done.stderr
                if round_ == 0:
                    # replay again once every stage has taken the first copy: same ids, so the
                    # second copy is counted as duplicates (not processed twice in one batch)
                    def took_first_copy() -> bool:
                        result = prom.query("sum by (job) (newswire_stage_events_in_total)")["data"]["result"]
                        counts = {r["metric"]["job"]: float(r["value"][1]) for r in result}
                        return all(counts.get(f"newswire-{n}", 0) >= seeds for n in consumers_of_articles)

                    wait_until(took_first_copy, timeout=SETTLE_TIMEOUT_S, interval=0.5, what="first replay consumed")
            producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers)
            producer.send(topic_name("articles", settings.topic_prefix), key=b"poison", value=b"\xffnot json")
            producer.flush(timeout=30)
            producer.close()

            def empty_queries() -> list[str]:
                for service in services:
                    assert service.process is not None
                    assert service.process.poll() is None, service.tail()
                missing = []
                for title, expr in queries:
                    body = prom.query(expr)
                    assert body["status"] == "success", (title, expr, body)
                    if not body["data"]["result"]:
                        missing.append(f"{title}: {expr}")
                return missing

            last: list[str] = []

            def all_have_data() -> bool:
                nonlocal last
                last = empty_queries()
                return not last

            try:
                wait_until(all_have_data, timeout=SETTLE_TIMEOUT_S, interval=1.0, what="dashboard data")
            except AssertionError:
                logs = "\n".join(s.tail() for s in services)
                raise AssertionError("panels without data:\n  " + "\n  ".join(last) + "\n" + logs) from None

            # every newswire target is up, and every alert rule evaluates cleanly on real data
            up = prom.query('up{job=~"newswire-.*"}')["data"]["result"]
            assert {r["metric"]["job"] for r in up} == {f"newswire-{n}" for n in ports}
            assert all(r["value"][1] == "1" for r in up), up
            assert len(up) == sum(len(p) for p in ports.values()), "one target per replica"
            groups = prom.get("/api/v1/rules")["data"]["groups"]
            rules = [r for g in groups for r in g["rules"]]
            assert len(rules) >= 5
            assert all(r["health"] == "ok" for r in rules), [(r["name"], r.get("lastError")) for r in rules]

            # the events on the wire match the AsyncAPI document downstream teams generate from
            seen = _read_events(settings)
            for role, values in seen.items():
                assert values, f"no events on {role}"
                for value in values:
                    validator = payload_validator(message_for_type(value["type"]))
                    errors = [e.message for e in validator.iter_errors(value)]
                    assert not errors, (role, value["type"], errors[:3])
        finally:
            for service in reversed(services):
                service.stop()
