"""``newswire enrich entities``: the consumer group that turns articles into entity events.

A thin edge around :mod:`consumers.entities.core`: the kernel's stage loop (poll → decode and
validate → handler → produce → wait for acks → commit; poison events dead-lettered) with a batch
handler that runs the spaCy pipeline once over each poll batch. Any number of replicas may run
with the same group id; output ids are deterministic, so redelivery yields identical events.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from consumers.entities import core
from consumers.nlp import enricher
from consumers.nlp.canon import Gazetteer
from consumers.nlp.enricher import EnricherHooks, EnricherSpec, make_batch_handler, run_enricher
from consumers.nlp.model import load_model, model_info
from newswire import events
from newswire.bus import Output
from newswire.events import Envelope
from newswire.metrics import LATENCY_BUCKETS, new_registry
from newswire.settings import Settings
from newswire.topics import ENTITIES

log = logging.getLogger(__name__)

STAGE = "entities"
#: closed set of error reasons (metric label)
ERROR_REASONS = ("invalid_article", "model_failure")


@dataclass(frozen=True)
class EntitiesMetrics:
    """What this stage adds to the kernel's :class:`StageMetrics` (same registry)."""

    model_info: Gauge
    outcomes: Counter
    errors: Counter
    entities: Histogram
    model_seconds: Histogram

    @classmethod
    def create(cls, registry: CollectorRegistry) -> EntitiesMetrics:
        metrics = cls._create(registry)
        for outcome in core.OUTCOMES:  # closed label sets: export zeros from the start
            metrics.outcomes.labels(outcome=outcome)
        for reason in ERROR_REASONS:
            metrics.errors.labels(reason=reason)
        return metrics

    @classmethod
    def _create(cls, registry: CollectorRegistry) -> EntitiesMetrics:
        return cls(
            model_info=Gauge(
                "newswire_model_info",
                "The NLP model a stage runs (always 1): name, version, enabled pipes, extractor.",
                ["stage", "model", "version", "pipes", "extractor"],
                registry=registry,
            ),
            outcomes=Counter(
                "newswire_entities_articles_total",
                "Articles analysed by the entities stage, by outcome (ok, empty, truncated, skipped).",
                ["outcome"],
                registry=registry,
            ),
            errors=Counter(
                "newswire_entities_errors_total",
                "Articles the entities stage failed on (then retried alone or dead-lettered), by reason.",
                ["reason"],
                registry=registry,
            ),
            entities=Histogram(
                "newswire_entities_per_article",
                "Canonical entities found per article.",
                buckets=(0, 1, 2, 5, 10, 20, 50, 100, 250),
                registry=registry,
            ),
            model_seconds=Histogram(
                "newswire_entities_model_seconds",
                "Wall time of one model batch (nlp.pipe plus canonicalization).",
                buckets=LATENCY_BUCKETS,
                registry=registry,
            ),
        )


def spec(model: str) -> EnricherSpec[core.Extraction]:
    """The entities stage as an :class:`EnricherSpec`; ``model`` is recorded in each event."""
    return EnricherSpec(
        stage=STAGE,
        output_role=ENTITIES,
        event_type=events.ENTITIES_EXTRACTED,
        extractor=core.EXTRACTOR,
        default_max_chars=core.DEFAULT_MAX_CHARS,
        extract=lambda nlp, articles, gazetteer, max_chars, batch_size: core.extract_batch(
            nlp, [(a.body, a.language) for a in articles], gazetteer, max_chars=max_chars, batch_size=batch_size
        ),
        event_data=lambda article, result: core.event_data(article, result, model),
        outcome=lambda result: (result.prepared.outcome, result.prepared.reason),
    )


def hooks(metrics: EntitiesMetrics | None) -> EnricherHooks[core.Extraction]:
    if metrics is None:
        return EnricherHooks()

    def observe(results: Sequence[core.Extraction], seconds: float) -> None:
        metrics.model_seconds.observe(seconds)
        for result in results:
            metrics.outcomes.labels(outcome=result.prepared.outcome).inc()
            metrics.entities.observe(len(result.entities.entities))

    return EnricherHooks(error=lambda reason: metrics.errors.labels(reason=reason).inc(), observe=observe)


def make_handler(
    nlp: Any,
    gazetteer: Gazetteer | None,
    source: str,
    *,
    max_chars: int = core.DEFAULT_MAX_CHARS,
    batch_size: int = 16,
    metrics: EntitiesMetrics | None = None,
) -> Callable[[Sequence[Envelope]], list[list[Output]]]:
    """The stage's batch handler: article events → one entities event each (same order)."""
    info = model_info(nlp)
    return make_batch_handler(
        spec(f"{info['model']}@{info['version']}"),
        nlp,
        gazetteer,
        source,
        max_chars=max_chars,
        batch_size=batch_size,
        hooks=hooks(metrics),
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    enricher.add_arguments(parser, spec(""))


def run(args: argparse.Namespace, settings: Settings) -> int:
    registry = new_registry(STAGE)
    metrics = EntitiesMetrics.create(registry)
    nlp_info = model_info(load_model())

    def on_model(info: dict[str, str]) -> None:
        metrics.model_info.labels(
            stage=STAGE, model=info["model"], version=info["version"], pipes=info["pipes"], extractor=core.EXTRACTOR
        ).set(1)

    model = f"{nlp_info['model']}@{nlp_info['version']}"
    return run_enricher(spec(model), args, settings, registry, hooks(metrics), on_model)
