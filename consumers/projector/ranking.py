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


#: Where an item is placed: (section, rank key, conflicts).
Placement = tuple[str, RankKey, int]


class SectionRanking:
    """The items of each section in :func:`rank_key` order, and those with conflicts.

    Changes are noted as they come (:meth:`put`, :meth:`remove`) and placed in the sorted lists
    at the next read or :meth:`flush`: a refresh that changes thousands of items (a catch-up)
    then sorts them in once, instead of inserting each into a list kept sorted."""

    __slots__ = ("_conflicts", "_disputed", "_pending", "_placed", "_sections")

    def __init__(self) -> None:
        self._sections: dict[str, SortedList[RankKey]] = {}
        self._disputed: SortedList[RankKey] = SortedList()  # items with conflicts, any section
        self._placed: dict[str, Placement] = {}  # id → where it is in the lists
        self._pending: dict[str, Placement | None] = {}  # id → where it goes (None: out)
        self._conflicts = 0  # conflicts of every item

    def put(self, item: Mapping[str, Any]) -> None:
        """Place an item that was created or changed."""
        conflicts = item.get("conflicts")
        self._pending[str(item["id"])] = (str(item["section"]), rank_key(item), len(conflicts) if conflicts else 0)

    def remove(self, item_id: str) -> None:
        """Forget an item (nothing happens for one not placed)."""
        self._pending[item_id] = None

    def flush(self) -> None:
        """Place the items put or removed since the last flush."""
        pending = self._pending
        if not pending:
            return
        self._pending = {}
        placed = self._placed
        adds: dict[str, list[RankKey]] = {}
        disputed: list[RankKey] = []
        for item_id, want in pending.items():
            have = placed.get(item_id)
            if have == want:
                continue
            if have is not None and want is not None and have[:2] == want[:2]:  # most updates: same place
                if bool(have[2]) != bool(want[2]):
                    if want[2]:
                        disputed.append(want[1])
                    else:
                        self._disputed.remove(want[1])
                self._conflicts += want[2] - have[2]
                placed[item_id] = want
                continue
            if have is not None:
                self._sections[have[0]].remove(have[1])
                if have[2]:
                    self._disputed.remove(have[1])
                    self._conflicts -= have[2]
                del placed[item_id]
            if want is not None:
                section, key, conflicts = want
                at = adds.get(section)
                if at is None:
                    adds[section] = [key]
                else:
                    at.append(key)
                if conflicts:
                    disputed.append(key)
                    self._conflicts += conflicts
                placed[item_id] = want
        for section, keys in adds.items():
            ranked = self._sections.get(section)
            if ranked is None:
                ranked = self._sections[section] = SortedList()
            ranked.update(keys)
        if disputed:
            self._disputed.update(disputed)

    def page(self, section: str, offset: int = 0, limit: int | None = None) -> Iterator[str]:
        """The ids of items ``offset`` to ``offset + limit`` of a section, in rank order."""
        self.flush()
        ranked = self._sections.get(section)
        if ranked is None:
            return iter(())
        stop = None if limit is None else offset + limit
        return (key[2] for key in ranked.islice(offset, stop))

    def disputed(self, limit: int | None = None) -> Iterator[str]:
        """The ids of the first ``limit`` items with conflicts (default: all), in rank order."""
        self.flush()
        return (key[2] for key in self._disputed.islice(0, limit))

    def section_of(self, item_id: str) -> str | None:
        if item_id in self._pending:
            want = self._pending[item_id]
            return None if want is None else want[0]
        placed = self._placed.get(item_id)
        return None if placed is None else placed[0]

    def sections(self) -> list[str]:
        """The sections that held an item at some point."""
        self.flush()
        return list(self._sections)

    def size(self, section: str) -> int:
        self.flush()
        ranked = self._sections.get(section)
        return 0 if ranked is None else len(ranked)

    @property
    def conflicts(self) -> int:
        """How many conflicts the items hold in all."""
        self.flush()
        return self._conflicts
