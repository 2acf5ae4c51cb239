"""``newswire enrich claims``: the consumer group that turns articles into claim events.

A thin edge around :mod:`consumers.claims.extract`: the kernel's stage loop (poll → decode and
validate → handler → produce → wait for acks → commit; poison events dead-lettered) with a batch
handler that parses each poll batch once (``nlp.pipe``). Replicas share the group id; output ids
are deterministic (type, input event id, extractor version), so redelivery yields equal events.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from consumers.claims import extract
from consumers.nlp import enricher
from consumers.nlp.canon import Gazetteer
from consumers.nlp.enricher import EnricherHooks, EnricherSpec, make_batch_handler, run_enricher
from newswire import events
from newswire.bus import Output
from newswire.events import Envelope
from newswire.metrics import LATENCY_BUCKETS, new_registry
from newswire.settings import Settings
from newswire.topics import CLAIMS

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


SPEC: EnricherSpec[extract.ArticleClaims] = EnricherSpec(
    stage=STAGE,
    output_role=CLAIMS,
    event_type=events.CLAIMS_EXTRACTED,
    extractor=extract.EXTRACTOR,
    default_max_chars=extract.MAX_CHARS,
    extract=lambda nlp, articles, gazetteer, max_chars, batch_size: extract.extract_articles(
        nlp, articles, gazetteer=gazetteer, max_chars=max_chars, batch_size=batch_size
    ),
    event_data=extract.event_data,
    outcome=lambda result: (result.outcome, result.reason),
)


def hooks(metrics: ClaimsMetrics | None) -> EnricherHooks[extract.ArticleClaims]:
    if metrics is None:
        return EnricherHooks()

    def observe(results: Sequence[extract.ArticleClaims], seconds: float) -> None:
        metrics.model_seconds.observe(seconds)
        for result in results:
            metrics.outcomes.labels(outcome=result.outcome).inc()
            for kind in KINDS:
                n = sum(1 for c in result.claims if c.kind == kind)
                if n:
                    metrics.claims.labels(kind=kind).inc(n)

    return EnricherHooks(error=lambda reason: metrics.errors.labels(reason=reason).inc(), observe=observe)


def make_handler(
    nlp: Any,
    gazetteer: Gazetteer | None,
    source: str,
    *,
    max_chars: int = extract.MAX_CHARS,
    batch_size: int = 16,
    metrics: ClaimsMetrics | None = None,
) -> Callable[[Sequence[Envelope]], list[list[Output]]]:
    """The stage's batch handler: article events → one claims event each (same order)."""
    return make_batch_handler(
        SPEC, nlp, gazetteer, source, max_chars=max_chars, batch_size=batch_size, hooks=hooks(metrics)
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    enricher.add_arguments(parser, SPEC)


def run(args: argparse.Namespace, settings: Settings) -> int:
    registry = new_registry(STAGE)
    return run_enricher(SPEC, args, settings, registry, hooks(ClaimsMetrics.create(registry)))
