"""``newswire project``: the projector process — the Kafka loop in a thread, HTTP in the main thread.

Options override the ``NEWSWIRE_*`` settings of the same name: ``--port`` (``NEWSWIRE_HTTP_PORT``;
0 picks a free port), ``--host`` (``NEWSWIRE_HTTP_HOST``), ``--data-dir`` (``NEWSWIRE_DATA_DIR``).
``--rebuild`` drops the checkpoint and replays every input topic from offset 0.
"""

from __future__ import annotations

import argparse
import logging
import socket
import threading
from dataclasses import dataclass, replace

import uvicorn

from consumers.projector.http import create_app
from consumers.projector.pacing import tune_gc
from consumers.projector.runtime import STAGE, ProjectorLoop, ViewHub, ViewMetrics
from consumers.projector.store import CheckpointStore
from newswire import logs
from newswire.bus import Shutdown
from newswire.metrics import StageMetrics, new_registry
from newswire.settings import Settings

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=None, help="HTTP port (env NEWSWIRE_HTTP_PORT; 0 = any free)")
    parser.add_argument("--host", default=None, help="HTTP address to bind (env NEWSWIRE_HTTP_HOST)")
    parser.add_argument("--data-dir", default=None, help="where the checkpoint lives (env NEWSWIRE_DATA_DIR)")
    parser.add_argument("--rebuild", action="store_true", help="drop the checkpoint and replay from offset 0")
    parser.add_argument(
        "--checkpoint-interval", type=float, default=1.0, help="seconds between checkpoints (default 1)"
    )
    parser.add_argument(
        "--window-days",
        type=int,
        default=None,
        help="days of news the view keeps before its newest articles; older ones are forgotten, which "
        "bounds memory (env NEWSWIRE_VIEW_WINDOW_DAYS, default 30; 0 = keep everything; a change "
        "rebuilds the view from offset 0)",
    )


@dataclass
class Projector:
    """Everything one projector process runs; also used in-process by tests and the benchmark."""

    settings: Settings
    hub: ViewHub
    loop: ProjectorLoop
    thread: threading.Thread
    server: uvicorn.Server
    sock: socket.socket

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://{self.settings.http_host}:{self.port}/"

    def serve(self) -> None:
        """Block serving HTTP until the server is told to exit (SIGINT/SIGTERM or a fatal loop)."""
        self.server.run(sockets=[self.sock])

    def stop(self, timeout_s: float = 30.0) -> None:
        self.loop.shutdown.event.set()
        self.server.should_exit = True
        self.thread.join(timeout_s)


def build(settings: Settings, *, rebuild: bool = False, checkpoint_interval_s: float = 1.0) -> Projector:
    """Wire the projector: registry, metrics, checkpoint store, hub, Kafka thread, HTTP server."""
    tune_gc()
    registry = new_registry(STAGE)
    stage = StageMetrics.create(registry)
    hub = ViewHub(metrics=ViewMetrics.create(registry))
    hub.restore_started()  # (from the first request on: the loop restores the view before anything else)
    store = CheckpointStore.in_dir(settings.data_path)
    shutdown = Shutdown()
    loop = ProjectorLoop(
        settings=settings,
        hub=hub,
        stage=stage,
        store=store,
        shutdown=shutdown,
        rebuild=rebuild,
        checkpoint_interval_s=checkpoint_interval_s,
    )
    thread = threading.Thread(target=loop.run, name="projector-kafka", daemon=True)
    app = create_app(hub, registry)
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=2,
        lifespan="off",
    )
    server = uvicorn.Server(config)

    def fatal(_exc: BaseException) -> None:
        server.should_exit = True  # exit so that a supervisor restarts us; /healthz said so meanwhile

    loop.on_fatal = fatal
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.http_host, settings.http_port))
    sock.listen(128)
    sock.set_inheritable(True)
    return Projector(settings, hub, loop, thread, server, sock)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.port is not None:
        settings = replace(settings, http_port=args.port)
    if args.host:
        settings = replace(settings, http_host=args.host)
    if args.data_dir:
        settings = replace(settings, data_dir=args.data_dir)
    if args.window_days is not None:
        settings = replace(settings, view_window_days=args.window_days)
    settings.validate()
    projector = build(settings, rebuild=args.rebuild, checkpoint_interval_s=args.checkpoint_interval)
    # uvicorn captures SIGTERM/SIGINT while it serves and re-raises them on exit, to whatever
    # handler was there before: make that ours (it only asks the loop to stop), so the process
    # drains the Kafka thread and writes its final checkpoint instead of dying by the signal.
    projector.loop.shutdown.install()
    projector.thread.start()
    log.info("live view listening", extra=logs.fields(stage=STAGE, url=projector.url, port=projector.port))
    print(f"newswire live view: {projector.url}", flush=True)
    try:
        if not projector.loop.shutdown.requested:  # a SIGTERM during start-up: do not serve at all
            projector.serve()
    finally:
        projector.stop()
    if projector.hub.health.loop_error:
        log.error("projector stopped after a failure", extra=logs.fields(error=projector.hub.health.loop_error))
        return 1
    return 0
