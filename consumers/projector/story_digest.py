"""What a story item shows, kept up to date one article at a time (pure).

A story of the talks runs for months and gathers thousands of articles, and every new one changes
its item. Rebuilding the item from all its articles made each new article cost O(story size) —
worse the longer the story ran. :class:`StoryDigest` keeps the aggregates instead (the held
articles in time order, outlets and entities with counts), so adding, revising or forgetting an
article, or merging two stories, costs about the size of the change, and rendering costs the
size of the item (twenty listed articles, eight entities), not of the story.

Every aggregate is free of order (sorted lists, counts), so a digest renders the same item however
its articles arrived, and the same item as a rebuild from scratch.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from consumers.projector.items import MAX_LISTED_ARTICLES, bounded

#: A story lists its most named entities, at most this many.
MAX_ENTITIES = 8
#: Merging a digest of at most this many articles inserts them one by one (cheaper than a sort).
_INSERT_ONE_BY_ONE = 32


class StoryArticle(NamedTuple):
    """What a story shows about one of its articles."""

    article_id: str
    outlet: str
    title: str
    url: str | None
    time: str


def _bump(counts: Counter[str], keys: Iterable[str], by: int) -> None:
    """Add ``by`` to each key's count; a count that reaches zero goes (a key listed is present)."""
    for k in keys:
        n = counts[k] + by
        if n > 0:
            counts[k] = n
        else:
            del counts[k]


class StoryDigest:
    """The aggregates of one story's item (see the module doc)."""

    __slots__ = ("_articles", "_entities", "_order", "_outlets")

    def __init__(self) -> None:
        self._articles: dict[str, StoryArticle] = {}  # the articles the view holds
        self._order: list[tuple[str, str]] = []  # (time, article id) of those, sorted
        self._outlets: Counter[str] = Counter()
        self._entities: Counter[str] = Counter()  # entity → articles of the story naming it

    def __len__(self) -> int:
        return len(self._articles)

    def add_article(self, art: StoryArticle) -> None:
        """Hold an article (replacing the version held before, if any)."""
        self.remove_article(art.article_id)
        self._articles[art.article_id] = art
        insort(self._order, (art.time, art.article_id))
        _bump(self._outlets, (art.outlet,), 1)

    def remove_article(self, article_id: str) -> None:
        art = self._articles.pop(article_id, None)
        if art is None:
            return
        del self._order[bisect_left(self._order, (art.time, article_id))]
        _bump(self._outlets, (art.outlet,), -1)

    def add_entities(self, entity_ids: Iterable[str]) -> None:
        """An article of the story names these (counted whether or not the article is held)."""
        _bump(self._entities, entity_ids, 1)

    def remove_entities(self, entity_ids: Iterable[str]) -> None:
        _bump(self._entities, entity_ids, -1)

    def absorb(self, other: StoryDigest) -> None:
        """Take in the aggregates of a story merged into this one (``other`` is left as it was)."""
        self._articles.update(other._articles)
        if len(other._order) <= _INSERT_ONE_BY_ONE:
            for key in other._order:
                insort(self._order, key)
        else:
            self._order = sorted(self._order + other._order)
        self._outlets.update(other._outlets)
        self._entities.update(other._entities)

    def item(self, item_id: str, name_of: Callable[[str], str]) -> dict[str, Any] | None:
        """The story's item, or None while the view holds none of its articles."""
        order = self._order
        if not order:
            return None
        first = self._articles[order[0][1]]
        top = heapq.nsmallest(MAX_ENTITIES, self._entities.items(), key=lambda kv: (-kv[1], kv[0]))
        outlets = sorted(self._outlets)
        return {
            "id": item_id,
            "section": "stories",
            "kind": "story",
            "label": first.title,
            "size": len(order),  # the articles the view holds (see TalksView._evict)
            "sources": len(outlets),
            "outlets": outlets,
            "first_seen": first.time,
            "last_seen": order[-1][0],
            "entities": [{"id": e, "name": name_of(e), "articles": n} for e, n in top],
            "articles": [self._articles[aid]._asdict() for _time, aid in bounded(order, MAX_LISTED_ARTICLES)],
            "conflicts": [],
        }
