"""The entities enricher's pure core: article bodies → canonical entities → event data.

No Kafka, clock or environment here: the spaCy pipeline and the alias data come in as arguments,
so the same input always gives the same output (and the tests call this directly).

Every article gets a bounded cost and a recorded outcome:

* ``empty``     — nothing but whitespace: no model call;
* ``skipped``   — not English (declared language, or too few English function words);
* ``truncated`` — longer than ``max_chars``: cut at a line or word break, the rest not analysed;
* ``ok``        — the whole body analysed.

Markup (``<tags>``) is blanked with spaces of the same length before the model sees the text, so
offsets still point into the original body.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from consumers.nlp.canon import ArticleEntities, Entity, Gazetteer, resolve_entities

# text preparation is shared with the claims stage; re-exported here for this stage's callers
from consumers.nlp.text import DEFAULT_MAX_CHARS as DEFAULT_MAX_CHARS
from consumers.nlp.text import OUTCOMES as OUTCOMES
from consumers.nlp.text import Prepared as Prepared
from consumers.nlp.text import prepare as prepare
from newswire.records import ArticleIngested

NAME = "entities"
VERSION = "1.0.0"
#: ``extractor`` attribute of every event this code produces; part of the derived event ids.
EXTRACTOR = f"{NAME}@{VERSION}"


@dataclass(frozen=True)
class Extraction:
    """The entities of one article revision, with the outcome."""

    prepared: Prepared
    entities: ArticleEntities
    body_chars: int


def extract_batch(
    nlp: Any,
    bodies: Sequence[tuple[str, str | None]],
    gazetteer: Gazetteer | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    batch_size: int = 16,
) -> list[Extraction]:
    """Entities of several (body, language) pairs, running the model once over the batch."""
    prepared = [prepare(body, language, max_chars) for body, language in bodies]
    docs = iter(nlp.pipe((p.text for p in prepared if p.analyse), batch_size=batch_size))
    out = []
    for (body, _lang), p in zip(bodies, prepared, strict=True):
        entities = resolve_entities(next(docs), gazetteer) if p.analyse else ArticleEntities(())
        out.append(Extraction(p, _with_body_text(entities, body), len(body)))
    return out


def _with_body_text(found: ArticleEntities, body: str) -> ArticleEntities:
    """Mention texts are the body's own characters (the model read a copy with markup blanked)."""
    entities = []
    for e in found.entities:
        mentions = tuple(m for m in e.mentions if body[m.start : m.end] == m.text)
        if mentions:
            entities.append(Entity(e.id, e.name, e.type, mentions, e.salience))
    return ArticleEntities(tuple(entities))


def entity_data(e: Entity) -> dict[str, Any]:
    return {
        "id": e.id,
        "name": e.name,
        "type": e.type,
        "count": len(e.mentions),
        "salience": e.salience,
        "mentions": [
            {
                "text": m.text,
                "start": m.start,
                "end": m.end,
                "sentence": {"index": m.sentence_index, "start": m.sentence_start, "end": m.sentence_end},
            }
            for m in e.mentions
        ],
    }


def event_data(article: ArticleIngested, result: Extraction, model: str) -> dict[str, Any]:
    """The ``data`` of a ``newswire.entities.extracted`` event (schema v1)."""
    p = result.prepared
    return {
        "article_id": article.article_id,
        "revision": article.revision,
        "extractor": EXTRACTOR,
        "model": model,
        "outcome": {"status": p.outcome, "reason": p.reason},
        "stats": {
            "body_chars": result.body_chars,
            "analysed_chars": len(p.text) if p.analyse else 0,
            "markup_chars": p.markup_chars,
            "entities": len(result.entities.entities),
            "mentions": sum(len(e.mentions) for e in result.entities.entities),
        },
        "entities": [entity_data(e) for e in result.entities.entities],
    }


def entity_ids(entities: Iterable[Entity]) -> dict[str, str]:
    """id → type, the document-level view the evaluation scores."""
    return {e.id: e.type for e in entities}
