"""The view's records of what it took in: an article, an entity of an article (pure data).

Frozen: the view replaces a record when a newer event comes, never edits one, which lets a
checkpoint tell what changed by identity and lets items hold on to the articles they list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ArticleRec:
    """An article as the view keeps it (the latest revision taken in); items list these fields."""

    article_id: str
    revision: str
    event_id: str
    time: str
    outlet: str
    title: str
    url: str | None
    published: str | None
    body: str

    def row(self) -> list[Any]:
        """Its checkpoint row (the field order above; :meth:`from_row` reads it back)."""
        return [
            self.article_id,
            self.revision,
            self.event_id,
            self.time,
            self.outlet,
            self.title,
            self.url,
            self.published,
            self.body,
        ]

    @classmethod
    def from_row(cls, row: list[Any]) -> ArticleRec:
        return cls(*row)


@dataclass(frozen=True)
class EntityRec:
    """An entity of an article: id, name, type, salience; a person keeps its mentions (titles
    are read from the words before them)."""

    id: str
    name: str
    type: str
    salience: float
    mentions: tuple[tuple[str, int, int, int, int], ...]  # text, start, end, sentence start, end

    def as_mapping(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "mentions": [
                {"text": t, "start": s, "end": e, "sentence": {"index": 0, "start": ss, "end": se}}
                for t, s, e, ss, se in self.mentions
            ],
        }
