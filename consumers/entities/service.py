"""``newswire enrich entities``: the consumer group that turns articles into entity events.

A thin edge around :mod:`consumers.entities.core`: the kernel's stage loop (poll → decode and
validate → handler → produce → wait for acks → commit; poison events dead-lettered) with a batch
handler that runs the spaCy pipeline once over each poll batch. Any number of replicas may run
with the same group id; output ids are deterministic, so redelivery yields identical events.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from consumers.entities import core
from consumers.nlp.canon import Gazetteer
from consumers.nlp.model import alias_paths, configured_gazetteer, load_model, model_info
from newswire import events, ids, logs
from newswire.bus import Output
from newswire.events import Envelope
from newswire.metrics import LATENCY_BUCKETS, new_registry
from newswire.records import ArticleIngested
from newswire.service import run_stage
from newswire.settings import Settings
from newswire.topics import ARTICLES, ENTITIES

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


def make_handler(
    nlp: Any,
    gazetteer: Gazetteer | None,
    source: str,
    *,
    max_chars: int = core.DEFAULT_MAX_CHARS,
    batch_size: int = 16,
    metrics: EntitiesMetrics | None = None,
) -> Callable[[Sequence[Envelope]], list[list[Output]]]:
    """The stage's batch handler: article events → one entities event each (same order).

    An exception fails the batch; the kernel then retries its events one by one and dead-letters
    the one that still fails, so the reason is counted here and the exception is not swallowed.
    """
    info = model_info(nlp)
    model = f"{info['model']}@{info['version']}"

    def handle(batch: Sequence[Envelope]) -> list[list[Output]]:
        try:
            articles = [ArticleIngested.from_data(env.data) for env in batch]
        except (KeyError, TypeError, ValueError):
            if metrics is not None:
                metrics.errors.labels(reason="invalid_article").inc()
            raise
        started = time.perf_counter()
        try:
            results = core.extract_batch(
                nlp,
                [(a.body, a.language) for a in articles],
                gazetteer,
                max_chars=max_chars,
                batch_size=batch_size,
            )
        except Exception:
            if metrics is not None:
                metrics.errors.labels(reason="model_failure").inc()
            raise
        outputs: list[list[Output]] = []
        for env, article, result in zip(batch, articles, results, strict=True):
            derived = events.derive(
                env,
                event_type=events.ENTITIES_EXTRACTED,
                event_id=ids.derived_event_id(events.ENTITIES_EXTRACTED, env.id, core.EXTRACTOR),
                source=f"{source}/{STAGE}",
                extractor=core.EXTRACTOR,
                data=core.event_data(article, result, model),
            )
            outputs.append([Output(ENTITIES, derived)])
            if result.prepared.outcome != "ok":
                log.info(
                    "article not analysed in full",
                    extra=logs.fields(
                        stage=STAGE,
                        article_id=article.article_id,
                        outcome=result.prepared.outcome,
                        reason=result.prepared.reason,
                    ),
                )
        if metrics is not None:
            metrics.model_seconds.observe(time.perf_counter() - started)
            for result in results:
                metrics.outcomes.labels(outcome=result.prepared.outcome).inc()
                metrics.entities.observe(len(result.entities.entities))
        return outputs

    return handle


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--aliases",
        action="append",
        type=Path,
        default=None,
        help="extra alias file(s) merged over the packaged one (default: NEWSWIRE_ALIASES, os.pathsep-separated)",
    )
    parser.add_argument(
        "--max-chars",
        type=int,
        default=core.DEFAULT_MAX_CHARS,
        help="analyse at most this many characters of a body; the event records outcome 'truncated'",
    )
    parser.add_argument("--batch-size", type=int, default=16, help="texts per nlp.pipe batch")
    parser.add_argument("--group-id", default=None, help="consumer group (default newswire-entities)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    registry = new_registry(STAGE)
    metrics = EntitiesMetrics.create(registry)
    started = time.perf_counter()
    nlp = load_model()
    paths = tuple(args.aliases) if args.aliases else alias_paths()
    try:
        gazetteer = configured_gazetteer(paths)
    except (OSError, ValueError) as exc:
        log.error("alias data unusable", extra=logs.fields(stage=STAGE, error=str(exc)[:500]))
        return 2
    info = model_info(nlp)
    metrics.model_info.labels(
        stage=STAGE, model=info["model"], version=info["version"], pipes=info["pipes"], extractor=core.EXTRACTOR
    ).set(1)
    log.info(
        "model loaded",
        extra=logs.fields(
            stage=STAGE,
            seconds=round(time.perf_counter() - started, 2),
            alias_files=[str(p) for p in paths],
            **info,
        ),
    )
    handler = make_handler(
        nlp,
        gazetteer,
        settings.event_source,
        max_chars=args.max_chars,
        batch_size=args.batch_size,
        metrics=metrics,
    )
    return run_stage(
        name=STAGE,
        settings=settings,
        registry=registry,
        handler=handler,
        input_roles=[ARTICLES],
        accepted_types=[events.ARTICLE_INGESTED],
        group_id=args.group_id,
    )
