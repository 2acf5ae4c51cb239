"""What the two enrichers share: article batch in → one derived event per article out.

Both ``enrich entities`` and ``enrich claims`` are the kernel's stage loop around a batch handler
that decodes articles, runs one spaCy pass over the batch, and derives one event per article
with a deterministic id. Only the extraction, the event data and the metrics differ; they are
given as a :class:`EnricherSpec`.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from prometheus_client import CollectorRegistry

from consumers.nlp.canon import Gazetteer
from consumers.nlp.model import alias_paths, configured_gazetteer, load_model, model_info
from newswire import events, ids, logs
from newswire.bus import Output
from newswire.events import Envelope
from newswire.records import ArticleIngested
from newswire.service import run_stage
from newswire.settings import Settings
from newswire.topics import ARTICLES

log = logging.getLogger(__name__)

R = TypeVar("R")

#: (nlp, articles, gazetteer, max_chars, batch_size) → one result per article, same order
Extract = Callable[[Any, list[ArticleIngested], Gazetteer | None, int, int], Sequence[R]]


@dataclass(frozen=True)
class EnricherSpec(Generic[R]):
    """One enrichment stage: its names, its pure extraction and how a result becomes event data."""

    stage: str
    output_role: str
    event_type: str
    extractor: str
    default_max_chars: int
    extract: Extract[R]
    event_data: Callable[[ArticleIngested, R], dict[str, Any]]
    outcome: Callable[[R], tuple[str, str | None]]


@dataclass(frozen=True)
class EnricherHooks(Generic[R]):
    """Metric hooks of a stage: count an error reason; observe a batch's results and seconds."""

    error: Callable[[str], None] = lambda _reason: None
    observe: Callable[[Sequence[R], float], None] = lambda _results, _seconds: None


def make_batch_handler(
    spec: EnricherSpec[R],
    nlp: Any,
    gazetteer: Gazetteer | None,
    source: str,
    *,
    max_chars: int,
    batch_size: int,
    hooks: EnricherHooks[R] | None = None,
) -> Callable[[Sequence[Envelope]], list[list[Output]]]:
    """The stage's batch handler: article events → one derived event each (same order).

    An exception fails the batch; the kernel then retries its events one by one and
    dead-letters the one that still fails, so the reason is counted here and re-raised.
    """
    hooks = hooks or EnricherHooks()

    def handle(batch: Sequence[Envelope]) -> list[list[Output]]:
        try:
            articles = [ArticleIngested.from_data(env.data) for env in batch]
        except (KeyError, TypeError, ValueError):
            hooks.error("invalid_article")
            raise
        started = time.perf_counter()
        try:
            results = spec.extract(nlp, articles, gazetteer, max_chars, batch_size)
        except Exception:
            hooks.error("model_failure")
            raise
        outputs: list[list[Output]] = []
        for env, article, result in zip(batch, articles, results, strict=True):
            derived = events.derive(
                env,
                event_type=spec.event_type,
                event_id=ids.derived_event_id(spec.event_type, env.id, spec.extractor),
                source=f"{source}/{spec.stage}",
                extractor=spec.extractor,
                data=spec.event_data(article, result),
            )
            outputs.append([Output(spec.output_role, derived)])
            outcome, reason = spec.outcome(result)
            if outcome != "ok":
                log.info(
                    "article not analysed in full",
                    extra=logs.fields(stage=spec.stage, article_id=article.article_id, outcome=outcome, reason=reason),
                )
        hooks.observe(results, time.perf_counter() - started)
        return outputs

    return handle


def add_arguments(parser: argparse.ArgumentParser, spec: EnricherSpec[Any]) -> None:
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
        default=spec.default_max_chars,
        help="analyse at most this many characters of a body; the event records outcome 'truncated'",
    )
    parser.add_argument("--batch-size", type=int, default=16, help="texts per nlp.pipe batch")
    parser.add_argument(
        "--group-id", default=None, help=f"consumer group (default: NEWSWIRE_TOPIC_PREFIX + newswire-{spec.stage})"
    )


def run_enricher(
    spec: EnricherSpec[R],
    args: argparse.Namespace,
    settings: Settings,
    registry: CollectorRegistry,
    hooks: EnricherHooks[R],
    on_model: Callable[[dict[str, str]], None] = lambda _info: None,
) -> int:
    """Load the model and aliases once, then run the stage until SIGTERM/SIGINT."""
    started = time.perf_counter()
    nlp = load_model()
    paths = tuple(args.aliases) if args.aliases else alias_paths()
    try:
        gazetteer = configured_gazetteer(paths)
    except (OSError, ValueError) as exc:
        log.error("alias data unusable", extra=logs.fields(stage=spec.stage, error=str(exc)[:500]))
        return 2
    info = model_info(nlp)
    on_model(info)
    log.info(
        "model loaded",
        extra=logs.fields(
            stage=spec.stage,
            seconds=round(time.perf_counter() - started, 2),
            alias_files=[str(p) for p in paths],
            extractor=spec.extractor,
            **info,
        ),
    )
    handler = make_batch_handler(
        spec,
        nlp,
        gazetteer,
        settings.event_source,
        max_chars=args.max_chars,
        batch_size=args.batch_size,
        hooks=hooks,
    )
    return run_stage(
        name=spec.stage,
        settings=settings,
        registry=registry,
        handler=handler,
        input_roles=[ARTICLES],
        accepted_types=[events.ARTICLE_INGESTED],
        group_id=args.group_id,
    )
