"""The pure core: one parsed article → its claims (no Kafka, no clock, no environment)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from consumers.claims.context import ArticleContext
from consumers.claims.counts import extract_counts
from consumers.claims.events import extract_events
from consumers.claims.lexicon import Lexicon, default_lexicon
from consumers.claims.quotes import extract_quotes
from consumers.claims.records import Claim
from consumers.nlp import text as nlp_text
from consumers.nlp.canon import ArticleEntities, Gazetteer, resolve_entities
from newswire.records import ArticleIngested

NAME = "claims"
VERSION = "1.0.0"
#: ``extractor`` attribute of every event this code produces; part of the derived event ids.
EXTRACTOR = f"{NAME}@{VERSION}"
#: Longest text parsed; longer bodies are cut at a paragraph or sentence end and marked truncated.
MAX_CHARS = 40_000
#: Most claims kept per article (odd input must not make an event too large for the topic).
MAX_CLAIMS = 500


def publication_date(published: str | None) -> date | None:
    """The calendar date of an RFC 3339 / ISO publication time (None when absent or unreadable)."""
    if not published:
        return None
    try:
        return datetime.fromisoformat(published.replace("Z", "+00:00")).date()
    except ValueError:
        try:
            return date.fromisoformat(published[:10])
        except ValueError:
            return None


def extract_claims(
    doc: Any,
    *,
    outlet: str,
    published: date | None,
    entities: ArticleEntities | None = None,
    gazetteer: Gazetteer | None = None,
    lex: Lexicon | None = None,
) -> list[Claim]:
    """Quotes first (their spans attribute what is said inside them), then counts and events."""
    ctx = ArticleContext(
        doc=doc,
        entities=entities if entities is not None else resolve_entities(doc, gazetteer),
        lex=lex or default_lexicon(),
        outlet=outlet,
        published=published,
        gazetteer=gazetteer,
    )
    claims = extract_quotes(ctx)
    claims.extend(extract_counts(ctx))
    claims.extend(extract_events(ctx))
    claims = [_hedge(c, ctx.lex.hedges) for c in claims]
    unique: dict[str, Claim] = {}
    for claim in sorted(claims, key=lambda c: (c.evidence.start, c.evidence.end, c.kind)):
        unique.setdefault(claim.claim_id("", ""), claim)  # one claim per kind, span and detail
    return list(unique.values())


def _hedge(claim: Claim, hedges: Sequence[str]) -> Claim:
    """Counts and events in a hedged sentence ("reportedly", "could not be verified") are marked
    and trusted less; a quotation is what it is (its speaker may hedge, the quote stands)."""
    if claim.kind == "quote":
        return claim
    sentence = claim.evidence.sentence.lower()
    if not any(re.search(rf"\b{re.escape(h)}\b", sentence) for h in hedges):
        return claim
    return replace(claim, hedged=True, confidence=round(claim.confidence * 0.7, 3))


def mark_paragraphs(doc: Any) -> Any:
    """A line break ends a sentence: headlines and paragraphs never run into each other."""
    text = doc.text
    start = text.find("\n")
    while start != -1:
        end = start
        while end < len(text) and text[end].isspace():
            end += 1
        span = doc.char_span(end, end + 1, alignment_mode="expand") if end < len(text) else None
        if span is not None and span.start > 0:
            doc[span.start].is_sent_start = True
        start = text.find("\n", end)
    return doc


def parse(nlp: Any, texts: list[str], batch_size: int = 16) -> list[Any]:
    """Run the shared pipeline over a batch, with paragraph breaks as sentence boundaries and
    lemmas (the shared model loads without its lemmatizer; claim rules match on lemmas).

    The shared ``nlp`` object is not changed: the components are applied here in order."""
    docs = [mark_paragraphs(nlp.make_doc(t)) for t in texts]
    for _name, proc in nlp.pipeline:
        docs = list(proc.pipe(docs, batch_size=batch_size)) if hasattr(proc, "pipe") else [proc(d) for d in docs]
    if "lemmatizer" in getattr(nlp, "disabled", ()):
        lemmatizer = nlp.get_pipe("lemmatizer")
        docs = [lemmatizer(d) for d in docs]
    return docs


@dataclass(frozen=True)
class ArticleClaims:
    """The claims of one article revision and the outcome (ok, empty, truncated, skipped)."""

    outcome: str
    reason: str | None
    claims: tuple[Claim, ...]


def prepare(body: str, language: str | None, max_chars: int) -> tuple[str, str, str | None]:
    """(text to read, outcome, reason), by the entities stream's own policy (empty, not English,
    too long → cut, markup blanked with spaces), so that both streams read the same characters
    and canonicalize to the same entity ids. Offsets into the text are offsets into the body."""
    p = nlp_text.prepare(body, language, max_chars)
    return p.text, p.outcome, p.reason


def extract_articles(
    nlp: Any,
    articles: Sequence[ArticleIngested],
    *,
    gazetteer: Gazetteer | None = None,
    max_chars: int = MAX_CHARS,
    batch_size: int = 16,
) -> list[ArticleClaims]:
    """Claims of several articles, parsing the batch in one pass (same order as the input)."""
    prepared = [prepare(a.body, a.language, max_chars) for a in articles]
    docs = iter(parse(nlp, [text for text, outcome, _ in prepared if outcome in ("ok", "truncated")], batch_size))
    out: list[ArticleClaims] = []
    for article, (_text, outcome, reason) in zip(articles, prepared, strict=True):
        if outcome not in ("ok", "truncated"):
            out.append(ArticleClaims(outcome, reason, ()))
            continue
        claims = extract_claims(
            next(docs), outlet=article.outlet, published=publication_date(article.published), gazetteer=gazetteer
        )
        if len(claims) > MAX_CLAIMS:
            claims = claims[:MAX_CLAIMS]
            outcome, reason = "truncated", f"more than {MAX_CLAIMS} claims; the first {MAX_CLAIMS} kept"
        out.append(ArticleClaims(outcome, reason, tuple(claims)))
    return out


def event_data(article: ArticleIngested, result: ArticleClaims) -> dict[str, Any]:
    """The ``data`` of a ``newswire.claims.extracted`` event (schema v1)."""
    return {
        "article_id": article.article_id,
        "revision": article.revision,
        "extractor": EXTRACTOR,
        "published": article.published,
        "outcome": {"status": result.outcome, "reason": result.reason},
        "claims": [c.to_data(article.article_id, article.revision) for c in result.claims],
    }
