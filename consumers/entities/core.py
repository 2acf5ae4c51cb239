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

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from consumers.nlp.canon import ArticleEntities, Entity, Gazetteer, resolve_entities
from newswire.records import ArticleIngested

NAME = "entities"
VERSION = "1.0.0"
#: ``extractor`` attribute of every event this code produces; part of the derived event ids.
EXTRACTOR = f"{NAME}@{VERSION}"
#: Bodies longer than this are cut (about 8,000 words, several times a long news article). It
#: bounds a poll batch too: max_poll_records × the model's cost of this many characters (~2 s on
#: a laptop core) must stay under the consumer's max_poll_interval_ms.
DEFAULT_MAX_CHARS = 50_000

OUTCOMES = ("ok", "empty", "truncated", "skipped")

_TAG = re.compile(r"<[^<>]{0,2000}>")
_ENTITY = re.compile(r"&[#a-zA-Z0-9]{1,10};")
_WORD = re.compile(r"[^\W\d_]+")
_LETTER = re.compile(r"[^\W\d_]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_EN_FUNCTION_WORDS = frozenset(
    re.findall(
        r"\w+",
        "the of and to in a is that for on with as was by at it from he his be are an has have said not "
        "but this which its were they who will had their after been more than or would also",
    )
)


@dataclass(frozen=True)
class Prepared:
    """What the model will read for one article, and why (the outcome is recorded in the event)."""

    text: str
    outcome: str
    reason: str | None = None
    markup_chars: int = 0

    @property
    def analyse(self) -> bool:
        return self.outcome in ("ok", "truncated") and bool(self.text.strip())


@dataclass(frozen=True)
class Extraction:
    """The entities of one article revision, with the outcome."""

    prepared: Prepared
    entities: ArticleEntities
    body_chars: int


def looks_english(text: str, sample_chars: int = 20_000) -> bool:
    """Enough English function words in the first ``sample_chars`` (short texts get the benefit)."""
    sample = text[:sample_chars]
    letters = len(_LETTER.findall(sample))
    latin = len(_LATIN.findall(sample))  # Latin script (ASCII to Latin Extended-B)
    if letters >= 200 and latin < 0.5 * letters:
        return False
    words = [w.lower() for w in _WORD.findall(sample)]
    if len(words) < 25:
        return True
    hits = sum(1 for w in words if w in _EN_FUNCTION_WORDS)
    return hits / len(words) >= 0.08


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group(0))


def prepare(body: str, language: str | None = None, max_chars: int = DEFAULT_MAX_CHARS) -> Prepared:
    """Decide what of ``body`` is analysed; offsets of the returned text equal the body's."""
    if not body.strip():
        return Prepared("", "empty", "body has no text")
    if language and not language.lower().startswith("en"):
        return Prepared("", "skipped", f"language {language!r} is not English")
    text = body
    outcome, reason = "ok", None
    if len(text) > max_chars:
        cut = max(text.rfind("\n", 0, max_chars), text.rfind(" ", 0, max_chars))
        cut = cut if cut > max_chars // 2 else max_chars
        text = text[:cut]
        outcome, reason = "truncated", f"body of {len(body)} characters cut to the first {cut}"
    blanked = _ENTITY.sub(_blank, _TAG.sub(_blank, text))
    markup = sum(1 for a, b in zip(text, blanked, strict=True) if a != b) if blanked != text else 0
    if not blanked.strip():
        return Prepared("", "empty", "nothing but markup", markup)
    if not looks_english(blanked):
        return Prepared("", "skipped", "text does not look like English", markup)
    if markup and reason is None:
        reason = f"{markup} characters of markup ignored"
    return Prepared(blanked, outcome, reason, markup)


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
