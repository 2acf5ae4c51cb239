"""``newswire enrich claims``: the consumer group that turns articles into claim events.

A thin edge around :mod:`consumers.claims.extract`: the kernel's stage loop (poll → decode and
validate → handler → produce → wait for acks → commit; poison events dead-lettered) with a batch
handler that parses each poll batch once (``nlp.pipe``). Replicas share the group id; output ids
are deterministic (type, input event id, extractor version), so redelivery yields equal events.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from consumers.claims import extract
from consumers.nlp.canon import Gazetteer
from consumers.nlp.model import alias_paths, configured_gazetteer, load_model
from newswire import events, ids, logs
from newswire.bus import Output
from newswire.events import Envelope
from newswire.metrics import LATENCY_BUCKETS, new_registry
from newswire.records import ArticleIngested
from newswire.service import run_stage
from newswire.settings import Settings
from newswire.topics import ARTICLES, CLAIMS

log = logging.getLogger(__name__)

STAGE = "claims"
KINDS = ("quote", "count", "event")


@dataclass(frozen=True)
class ClaimsMetrics:
    """What this stage adds to the kernel's :class:`StageMetrics` (same registry)."""

    outcomes: Counter
    claims: Counter
    errors: Counter
    model_seconds: Histogram

    @classmethod
    def create(cls, registry: CollectorRegistry) -> ClaimsMetrics:
        return cls(
            outcomes=Counter(
                "newswire_claims_articles_total",
                "Articles analysed by the claims stage, by outcome (ok, empty, truncated, skipped).",
                ["outcome"],
                registry=registry,
            ),
            claims=Counter(
                "newswire_claims_total", "Claims extracted, by kind (quote, count, event).", ["kind"], registry=registry
            ),
            errors=Counter(
                "newswire_claims_errors_total",
                "Batches the claims stage failed on (then retried alone or dead-lettered), by reason.",
                ["reason"],
                registry=registry,
            ),
            model_seconds=Histogram(
                "newswire_claims_model_seconds",
                "Wall time of one batch: parsing, canonicalization and the claim rules.",
                buckets=LATENCY_BUCKETS,
                registry=registry,
            ),
        )


def make_handler(
    nlp: Any,
    gazetteer: Gazetteer | None,
    source: str,
    *,
    max_chars: int = extract.MAX_CHARS,
    batch_size: int = 16,
    metrics: ClaimsMetrics | None = None,
) -> Callable[[Sequence[Envelope]], list[list[Output]]]:
    """The stage's batch handler: article events → one claims event each (same order).

    An exception fails the batch; the kernel retries its events one by one and dead-letters the
    one that still fails, so the reason is counted here and the exception is re-raised."""

    def handle(batch: Sequence[Envelope]) -> list[list[Output]]:
        try:
            articles = [ArticleIngested.from_data(env.data) for env in batch]
        except (KeyError, TypeError, ValueError):
            if metrics is not None:
                metrics.errors.labels(reason="invalid_article").inc()
            raise
        started = time.perf_counter()
        try:
            results = extract.extract_articles(
                nlp, articles, gazetteer=gazetteer, max_chars=max_chars, batch_size=batch_size
            )
        except Exception:
            if metrics is not None:
                metrics.errors.labels(reason="extraction_failure").inc()
            raise
        outputs: list[list[Output]] = []
        for env, article, result in zip(batch, articles, results, strict=True):
            derived = events.derive(
                env,
                event_type=events.CLAIMS_EXTRACTED,
                event_id=ids.derived_event_id(events.CLAIMS_EXTRACTED, env.id, extract.EXTRACTOR),
                source=f"{source}/{STAGE}",
                extractor=extract.EXTRACTOR,
                data=extract.event_data(article, result),
            )
            outputs.append([Output(CLAIMS, derived)])
            if result.outcome != "ok":
                log.info(
                    "article not analysed in full",
                    extra=logs.fields(
                        stage=STAGE, article_id=article.article_id, outcome=result.outcome, reason=result.reason
                    ),
                )
        if metrics is not None:
            metrics.model_seconds.observe(time.perf_counter() - started)
            for result in results:
                metrics.outcomes.labels(outcome=result.outcome).inc()
                for kind in KINDS:
                    n = sum(1 for c in result.claims if c.kind == kind)
                    if n:
                        metrics.claims.labels(kind=kind).inc(n)
        return outputs

    return handle


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--aliases",
        action="append",
        type=Path,
        default=None,
        help="extra alias file(s), as for `enrich entities` (default: NEWSWIRE_ALIASES)",
    )
    parser.add_argument(
        "--max-chars",
        type=int,
        default=extract.MAX_CHARS,
        help="analyse at most this many characters of a body; the event records outcome 'truncated'",
    )
    parser.add_argument("--batch-size", type=int, default=16, help="texts per nlp.pipe batch")
    parser.add_argument("--group-id", default=None, help="consumer group (default newswire-claims)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    registry = new_registry(STAGE)
    metrics = ClaimsMetrics.create(registry)
    started = time.perf_counter()
    nlp = load_model()
    paths = tuple(args.aliases) if args.aliases else alias_paths()
    gazetteer = configured_gazetteer(paths)
    log.info(
        "model loaded",
        extra=logs.fields(stage=STAGE, seconds=round(time.perf_counter() - started, 2), extractor=extract.EXTRACTOR),
    )
    handler = make_handler(
        nlp, gazetteer, settings.event_source, max_chars=args.max_chars, batch_size=args.batch_size, metrics=metrics
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
