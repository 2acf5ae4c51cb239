"""``newswire up``: the whole pipeline on one machine.

Starts the embedded broker (unless ``NEWSWIRE_KAFKA_BOOTSTRAP`` names a cluster), creates the
topics, runs each stage as its own child process (as in production: nothing is shared but
topics), replays ``seeds/``, prints the page's address and supervises the children until
SIGTERM/SIGINT, when it stops them in order and drains.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from newswire import logs
from newswire.broker import EmbeddedBroker, free_port, start_broker, wait_for_port
from newswire.bus import Shutdown, ensure_topics
from newswire.settings import Settings

log = logging.getLogger(__name__)

#: A child that dies is restarted at most this many times (counted, logged), then ``up`` stops.
MAX_RESTARTS = 5


def register(sub: Any) -> None:
    p = sub.add_parser(
        "up",
        help="run the whole pipeline locally: broker, enrichers, projector, seed replay, live page",
        description=(
            "The main job on one machine. Starts the embedded Kafka-protocol broker (unless "
            "NEWSWIRE_KAFKA_BOOTSTRAP is set, in which case that cluster is used), creates the "
            "topics, starts 'enrich entities', 'enrich claims' and 'project' as child processes, "
            "replays the seed articles, and prints the address of the live page. Ctrl-C or "
            "SIGTERM stops everything cleanly."
        ),
    )
    p.add_argument(
        "--port", type=int, default=None, help="HTTP port of the live page (env NEWSWIRE_HTTP_PORT; 0 = free)"
    )
    p.add_argument("--seeds", type=Path, default=Path("seeds"), help="directory or files to replay")
    p.add_argument("--no-replay", action="store_true", help="start the pipeline without replaying seeds")
    p.add_argument("--replay-rate", type=float, default=0.0, help="events per second for the seed replay")
    p.add_argument(
        "--stages",
        default="entities,claims,project",
        help="comma-separated stages to run (entities, claims, project)",
    )
    p.add_argument("--exit-when-ready", action="store_true", help="exit once the page answers (smoke checks)")
    p.set_defaults(func=run)


@dataclass
class Child:
    """One supervised stage process."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = field(default=0.0)

    def start(self) -> None:
        out = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child for its lifetime
        self.process = subprocess.Popen(
            self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        out.close()
        self.started_at = time.monotonic()
        log.info("stage started", extra=logs.fields(stage=self.name, pid=self.process.pid, log=str(self.log_path)))

    def stop(self, timeout_s: float) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.terminate()
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            log.warning("stage did not stop in time; killing it", extra=logs.fields(stage=self.name))
            self.process.kill()
            return self.process.wait()


def stage_commands(stages: list[str], http_port: int) -> dict[str, list[str]]:
    py = [sys.executable, "-m", "newswire"]
    table = {
        "entities": [*py, "enrich", "entities"],
        "claims": [*py, "enrich", "claims"],
        "project": [*py, "project", "--port", str(http_port)],
    }
    unknown = [s for s in stages if s not in table]
    if unknown:
        raise SystemExit(f"newswire up: unknown stage(s): {', '.join(unknown)}")
    return {s: table[s] for s in stages}


def run(args: argparse.Namespace, settings: Settings) -> int:
    shutdown = Shutdown().install()
    broker: EmbeddedBroker | None = None
    children: list[Child] = []
    run_dir = settings.data_path / "up"
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        if "NEWSWIRE_KAFKA_BOOTSTRAP" in os.environ:
            log.info("using the configured Kafka cluster", extra=logs.fields(bootstrap=settings.kafka_bootstrap))
        else:
            broker = start_broker(log_path=run_dir / "broker.log")
            # The embedded broker keeps nothing: start the projector from an empty checkpoint, and
            # give consumer groups a short rebalance timeout (Tansu completes a join only then).
            settings = replace(
                settings,
                kafka_bootstrap=broker.bootstrap,
                max_poll_interval_ms=min(settings.max_poll_interval_ms, 6_000),
                session_timeout_ms=min(settings.session_timeout_ms, 6_000),
                max_poll_records=min(settings.max_poll_records, 8),
                data_dir=str(run_dir / "embedded"),
            )
            shutil.rmtree(settings.data_path, ignore_errors=True)
            print(f"broker     {broker.bootstrap} (embedded Tansu, memory only)", flush=True)
        for name, outcome in ensure_topics(settings).items():
            log.info("topic ready", extra=logs.fields(topic=name, outcome=outcome))

        port = args.port if args.port is not None else settings.http_port
        port = port or free_port()
        stages = [s.strip() for s in args.stages.split(",") if s.strip()]
        metrics_ports: dict[str, int] = {}
        for name, argv in stage_commands(stages, port).items():
            env = {**os.environ, **settings.as_env()}
            if name != "project":
                metrics_ports[name] = free_port()
                env["NEWSWIRE_METRICS_PORT"] = str(metrics_ports[name])
            child = Child(name, argv, env, run_dir / f"{name}.log")
            child.start()
            children.append(child)
        for name, mport in metrics_ports.items():
            print(f"metrics    http://{settings.http_host}:{mport}/metrics ({name})", flush=True)

        if not args.no_replay:
            replay_argv = [sys.executable, "-m", "newswire", "replay", str(args.seeds), "--no-create-topics"]
            if args.replay_rate:
                replay_argv += ["--rate", str(args.replay_rate)]
            done = subprocess.run(
                replay_argv,
                env={**os.environ, **settings.as_env()},
                capture_output=True,
                text=True,
                check=False,
            )
            sys.stderr.write(done.stderr)
            print(f"replay     {done.stdout.strip()}", flush=True)
            if done.returncode != 0:
                log.error("seed replay failed", extra=logs.fields(exit_code=done.returncode))

        if "project" in stages:
            if wait_for_port(settings.http_host, port, 60):
                print(f"live page  http://{settings.http_host}:{port}/", flush=True)
                print(f"state API  http://{settings.http_host}:{port}/api/state", flush=True)
            else:
                log.error("the projector did not open its port", extra=logs.fields(port=port))
        print(f"logs       {run_dir}/*.log — Ctrl-C stops everything", flush=True)
        if args.exit_when_ready:
            return 0
        return supervise(children, shutdown)
    finally:
        for child in reversed(children):
            child.stop(timeout_s=20)
        if broker is not None:
            broker.stop()
        log.info("newswire up stopped")


def supervise(children: list[Child], shutdown: Shutdown) -> int:
    """Restart a crashed stage with backoff, a bounded number of times; stop on SIGTERM/SIGINT."""
    while not shutdown.wait(0.5):
        for child in children:
            assert child.process is not None
            code = child.process.poll()
            if code is None:
                continue
            if child.restarts >= MAX_RESTARTS:
                log.error("stage keeps failing; stopping", extra=logs.fields(stage=child.name, exit_code=code))
                return 1
            child.restarts += 1
            backoff = min(2.0**child.restarts, 30.0)
            log.warning(
                "stage exited; restarting",
                extra=logs.fields(stage=child.name, exit_code=code, restart=child.restarts, backoff_s=backoff),
            )
            if shutdown.wait(backoff):
                return 0
            child.start()
    return 0
