"""The pure core: one parsed article → its claims (no Kafka, no clock, no environment)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from consumers.claims.context import ArticleContext
from consumers.claims.counts import extract_counts
from consumers.claims.events import extract_events
from consumers.claims.lexicon import Lexicon, default_lexicon
from consumers.claims.quotes import extract_quotes
from consumers.claims.records import Claim
from consumers.nlp.canon import ArticleEntities, resolve_entities

#: Longest text parsed; longer bodies are cut at a paragraph or sentence end and marked truncated.
MAX_CHARS = 40_000


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


def clip(text: str, limit: int = MAX_CHARS) -> tuple[str, bool]:
    """At most ``limit`` characters, cut at the last paragraph (or sentence) end before it."""
    if len(text) <= limit:
        return text, False
    head = text[:limit]
    for mark in ("\n", ". "):
        cut = head.rfind(mark)
        if cut > limit // 2:
            return head[: cut + 1], True
    return head, True


def extract_claims(
    doc: Any,
    *,
    outlet: str,
    published: date | None,
    entities: ArticleEntities | None = None,
    lex: Lexicon | None = None,
) -> list[Claim]:
    """Quotes first (their spans attribute what is said inside them), then counts and events."""
    ctx = ArticleContext(
        doc=doc,
        entities=entities if entities is not None else resolve_entities(doc),
        lex=lex or default_lexicon(),
        outlet=outlet,
        published=published,
    )
    claims = extract_quotes(ctx)
    claims.extend(extract_counts(ctx))
    claims.extend(extract_events(ctx))
    return sorted(claims, key=lambda c: (c.evidence.start, c.evidence.end, c.kind))


def mark_paragraphs(doc: Any) -> Any:
    """A line break ends a sentence: headlines and paragraphs never run into each other."""
    for tok in doc[1:]:
        prev = doc[tok.i - 1]
        if "\n" in prev.text or "\n" in prev.whitespace_:
            tok.is_sent_start = True
        elif not tok.is_space:
            tok.is_sent_start = None
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
