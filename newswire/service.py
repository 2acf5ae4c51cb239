"""Running a consumer stage as a process: settings, signals, metrics endpoint and the loop."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from prometheus_client import CollectorRegistry

from newswire import logs
from newswire.bus import BatchHandler, Shutdown, StageRunner
from newswire.metrics import StageMetrics, serve
from newswire.settings import Settings

log = logging.getLogger(__name__)


def run_stage(
    *,
    name: str,
    settings: Settings,
    registry: CollectorRegistry,
    handler: BatchHandler,
    input_roles: Sequence[str],
    accepted_types: Sequence[str],
    group_id: str | None = None,
    shutdown: Shutdown | None = None,
) -> int:
    """Serve ``/metrics`` on ``NEWSWIRE_METRICS_PORT`` and run the stage until SIGTERM/SIGINT."""
    shutdown = shutdown or Shutdown().install()
    port = serve(registry, settings.http_host, settings.metrics_port)
    if port:
        log.info("metrics endpoint up", extra=logs.fields(stage=name, port=port))
    runner = StageRunner(
        name=name,
        settings=settings,
        input_roles=input_roles,
        accepted_types=accepted_types,
        handler=handler,
        metrics=StageMetrics.create(registry),
        shutdown=shutdown,
        group_id=group_id,
    )
    runner.run()
    return 0
