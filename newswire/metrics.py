"""Prometheus metrics: one ``CollectorRegistry`` per process, labels from closed sets only.

Every consumer stage gets the same :class:`StageMetrics` family (labelled by ``stage``), so the
dashboard and the alert rules work for any stage without knowing it. Labels never carry URLs or
ids: ``stage``, ``topic`` (the five contract topics), ``reason`` (the dead-letter enum),
``operation`` and ``outcome`` are all closed sets.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from newswire import __version__

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def new_registry(component: str) -> CollectorRegistry:
    """A fresh registry with ``newswire_build_info`` set (no global default registry)."""
    registry = CollectorRegistry(auto_describe=True)
    info = Gauge(
        "newswire_build_info",
        "Version of the running newswire component (always 1).",
        ["component", "version"],
        registry=registry,
    )
    info.labels(component=component, version=__version__).set(1)
    return registry


@dataclass
class StageMetrics:
    """The metrics every Kafka consumer stage exports (enrichers, projector)."""

    events_in: Counter
    events_out: Counter
    deadletters: Counter
    duplicates: Counter
    retries: Counter
    latency: Histogram
    batch_seconds: Histogram
    lag: Gauge
    last_commit: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry) -> StageMetrics:
        return cls(
            events_in=Counter(
                "newswire_stage_events_in_total", "Records consumed by a stage.", ["stage"], registry=registry
            ),
            events_out=Counter(
                "newswire_stage_events_out_total",
                "Events a stage produced and the broker acknowledged, by output topic.",
                ["stage", "topic"],
                registry=registry,
            ),
            deadletters=Counter(
                "newswire_deadletters_total",
                "Records sent to the dead-letter topic, by stage and reason.",
                ["stage", "reason"],
                registry=registry,
            ),
            duplicates=Counter(
                "newswire_stage_duplicates_total",
                "Input events dropped because their id was already processed.",
                ["stage"],
                registry=registry,
            ),
            retries=Counter(
                "newswire_retries_total",
                "Bounded retries of retriable errors, by stage and operation.",
                ["stage", "operation"],
                registry=registry,
            ),
            latency=Histogram(
                "newswire_stage_latency_seconds",
                "Processing time per input event (batch time divided over its events).",
                ["stage"],
                buckets=LATENCY_BUCKETS,
                registry=registry,
            ),
            batch_seconds=Histogram(
                "newswire_stage_batch_seconds",
                "Wall time of one poll batch: process, produce, wait for acks, commit.",
                ["stage"],
                buckets=LATENCY_BUCKETS,
                registry=registry,
            ),
            lag=Gauge(
                "newswire_consumer_lag",
                "Records behind the partition high watermark, summed per input topic.",
                ["stage", "topic"],
                registry=registry,
            ),
            last_commit=Gauge(
                "newswire_stage_last_commit_timestamp_seconds",
                "Unix time of the stage's last successful offset commit.",
                ["stage"],
                registry=registry,
            ),
        )


def serve(registry: CollectorRegistry, host: str, port: int) -> int:
    """Serve ``/metrics`` for a process without its own HTTP server; 0 = disabled."""
    if port == 0:
        return 0
    server, _thread = start_http_server(port, addr=host, registry=registry)
    return int(server.server_port)
