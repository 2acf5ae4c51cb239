"""Each section's items in the order the page lists them, kept as the items change.

The page, ``/api/summary`` and ``/api/sections/…`` show the first items of each section (most
sources first, then the latest, then by id) and the first items that carry conflicts. Sorting
every item at each read made a read cost the size of the view (110 ms at 32k items, under the
lock the Kafka loop needs); kept sorted here as :meth:`TalksView._swap` changes items, a read
costs what it shows. Pure: item ids and rank keys in, item ids out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sortedcontainers import SortedList

#: (-sources, the latest first, id): see :func:`rank_key`.
RankKey = tuple[int, str, str]


def rank_key(item: Mapping[str, Any]) -> RankKey:
    """The order of a section: most sources first, then the latest, then by id."""
    return (-int(item.get("sources", 0)), _neg_time(item.get("last_seen")), str(item["id"]))


#: Each ASCII character to its mirror from the top of Unicode (see :func:`_neg_time`).
_MIRROR = {c: chr(0x10FFFF - c) for c in range(128)}


def _neg_time(text: str | None) -> str:
    """Sort key for 'latest first' on RFC 3339 strings: each character mirrored, so that the
    later of two times sorts first (a table for ASCII, which times are: 4× faster)."""
    if not text:
        return ""
    if text.isascii():
        return text.translate(_MIRROR)
    return "".join(chr(0x10FFFF - ord(c)) for c in text)


class SectionRanking:
    """The items of each section in :func:`rank_key` order, and those with conflicts."""

    __slots__ = ("_conflicts", "_disputed", "_placed", "_sections")

    def __init__(self) -> None:
        self._sections: dict[str, SortedList[RankKey]] = {}
        self._disputed: SortedList[RankKey] = SortedList()  # items with conflicts, any section
        self._placed: dict[str, tuple[str, RankKey, int]] = {}  # id → (section, key, conflicts)
        self._conflicts = 0  # conflicts of every item

    def put(self, item: Mapping[str, Any]) -> None:
        """Place an item that was created or changed."""
        item_id = str(item["id"])
        section, key, conflicts = str(item["section"]), rank_key(item), len(item.get("conflicts") or ())
        placed = self._placed.get(item_id)
        if placed is not None and placed[:2] == (section, key):  # most updates: same place
            if bool(placed[2]) != bool(conflicts):
                (self._disputed.add if conflicts else self._disputed.remove)(key)
            self._conflicts += conflicts - placed[2]
            self._placed[item_id] = (section, key, conflicts)
            return
        self.remove(item_id)
        ranked = self._sections.get(section)
        if ranked is None:
            ranked = self._sections[section] = SortedList()
        ranked.add(key)
        if conflicts:
            self._disputed.add(key)
            self._conflicts += conflicts
        self._placed[item_id] = (section, key, conflicts)

    def remove(self, item_id: str) -> None:
        """Forget an item (nothing happens for one not placed)."""
        placed = self._placed.pop(item_id, None)
        if placed is None:
            return
        section, key, conflicts = placed
        self._sections[section].remove(key)
        if conflicts:
            self._disputed.remove(key)
            self._conflicts -= conflicts

    def page(self, section: str, offset: int = 0, limit: int | None = None) -> Iterator[str]:
        """The ids of items ``offset`` to ``offset + limit`` of a section, in rank order."""
        ranked = self._sections.get(section)
        if ranked is None:
            return iter(())
        stop = None if limit is None else offset + limit
        return (key[2] for key in ranked.islice(offset, stop))

    def disputed(self, limit: int | None = None) -> Iterator[str]:
        """The ids of the first ``limit`` items with conflicts (default: all), in rank order."""
        return (key[2] for key in self._disputed.islice(0, limit))

    def section_of(self, item_id: str) -> str | None:
        placed = self._placed.get(item_id)
        return None if placed is None else placed[0]

    def sections(self) -> list[str]:
        """The sections that held an item at some point."""
        return list(self._sections)

    def size(self, section: str) -> int:
        ranked = self._sections.get(section)
        return 0 if ranked is None else len(ranked)

    @property
    def conflicts(self) -> int:
        """How many conflicts the items hold in all."""
        return self._conflicts
