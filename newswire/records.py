"""Typed, immutable records for the ``data`` of the events the kernel itself defines.

Stages convert at the edge: ``ArticleIngested.from_data(envelope.data)`` in, ``.to_data()`` out,
so no stringly-typed dict crosses a module boundary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from newswire import events, ids
from newswire.events import Envelope


@dataclass(frozen=True)
class Origin:
    kind: str  # seed | feed | page
    feed: str | None = None
    path: str | None = None
    entry_id: str | None = None
    loop: int = 0


@dataclass(frozen=True)
class Extraction:
    outcome: str  # ok | fallback | failed | text
    reason: str | None = None


@dataclass(frozen=True)
class ArticleIngested:
    """An article (or a new revision of one) as published on ``newswire.articles.v1``."""

    SCHEMA_VERSION = 1

    article_id: str
    revision: str
    url: str | None
    title: str
    outlet: str
    published: str | None
    body: str
    origin: Origin
    extraction: Extraction
    language: str | None = None
    authors: tuple[str, ...] = ()
    duplicate_of: str | None = None
    tags: tuple[str, ...] = field(default=())

    def to_data(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "revision": self.revision,
            "url": self.url,
            "title": self.title,
            "outlet": self.outlet,
            "published": self.published,
            "language": self.language,
            "authors": list(self.authors),
            "body": self.body,
            "origin": {
                "kind": self.origin.kind,
                "feed": self.origin.feed,
                "path": self.origin.path,
                "entry_id": self.origin.entry_id,
                "loop": self.origin.loop,
            },
            "extraction": {"outcome": self.extraction.outcome, "reason": self.extraction.reason},
            "duplicate_of": self.duplicate_of,
            "tags": list(self.tags),
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ArticleIngested:
        o = data["origin"]
        x = data["extraction"]
        return cls(
            article_id=data["article_id"],
            revision=data["revision"],
            url=data.get("url"),
            title=data["title"],
            outlet=data["outlet"],
            published=data.get("published"),
            body=data["body"],
            origin=Origin(o["kind"], o.get("feed"), o.get("path"), o.get("entry_id"), int(o.get("loop", 0))),
            extraction=Extraction(x["outcome"], x.get("reason")),
            language=data.get("language"),
            authors=tuple(data.get("authors", ())),
            duplicate_of=data.get("duplicate_of"),
            tags=tuple(data.get("tags", ())),
        )

    def in_loop(self, article_id: str, loop: int) -> ArticleIngested:
        """This article under another id, for soak loops (positional: this runs per event)."""
        o = self.origin
        return ArticleIngested(
            article_id,
            self.revision,
            self.url,
            self.title,
            self.outlet,
            self.published,
            self.body,
            Origin(o.kind, o.feed, o.path, o.entry_id, loop),
            self.extraction,
            self.language,
            self.authors,
            self.duplicate_of,
            self.tags,
        )

    def envelope(self, source: str, ingested_at: datetime) -> Envelope:
        """The event for this article revision; its id depends only on (article id, revision).

        ``time`` is the publication time when known (so a replay is byte-identical), else the
        moment of ingestion.
        """
        when = self.published or events.format_time(ingested_at)
        return Envelope(
            id=ids.article_event_id(self.article_id, self.revision),
            type=events.ARTICLE_INGESTED,
            source=source,
            subject=self.article_id,
            time=when,
            data=self.to_data(),
        )
