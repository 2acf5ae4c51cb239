"""Which facts of a bucket can end up in the same item: connected components kept up to date.

Two facts can only share an item when the core of the merge rule holds between them
(:func:`consumers.projector.merge.core_match`: the same who, or the same what). The view keeps,
per bucket, the connected components of that relation — *regions* — over match keys (the fields
the core reads: kind, participants, object words), adding keys as facts arrive. A refresh then
re-partitions only the regions that new facts touched, instead of the whole bucket, and the
items of a region never depend on facts outside it.

Matches are found through indexes, never by a pass over the bucket: participant sets by their
subsets (``{a, b}`` is found from ``{a, b, c}`` and back), object words by word, and keys that
match each other for sure (equal participant sets, equal objects) share one representative.
Components only grow when keys are added; :meth:`RegionIndex.rebuilt` starts over when a key
goes away (a revision removed the last fact that had it).

Each region also keeps its signature groups (:class:`SigGroup`) in ``repr`` order (the order items
are built and named in), updated as signatures come and go: a refresh of a region that holds a
party's every quote, or a count category's every place, reads that list instead of gathering and
sorting the whole region again, so it costs what changed, not the size of the region.

Pure data structure: no Kafka, no clock.
"""

from __future__ import annotations

from bisect import bisect
from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import combinations
from typing import Final, final

from consumers.projector.facts import OBJECT_KINDS
from consumers.projector.siggroup import MatchKey, SigGroup

#: Participant sets up to this size are indexed by all their subsets (2^n); larger ones by member.
MAX_SUBSET_INDEX = 8


def mode_of(bucket: str) -> str:
    """How the core relates the facts of a bucket (see :func:`merge.core_match`)."""
    if bucket.startswith(("party:", "count:")):
        return "all"  # every pair is about the same thing
    if bucket in ("proposals", "agreements"):
        return "objects"
    return "participants"


def objects_match(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Object word sets that name the same thing: one contains the other, or Jaccard ≥ 0.6."""
    if not a or not b:
        return False
    sa, sb = set(a), set(b)
    if sa <= sb or sb <= sa:
        return True
    return len(sa & sb) / len(sa | sb) >= 0.6


def participants_match(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Equal participant sets, or one containing the other with at least two people."""
    if a == b:
        return True
    small, big = (a, b) if len(a) <= len(b) else (b, a)
    return len(small) >= 2 and set(small) <= set(big)


def _proper_subsets(people: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """Subsets of two or more people, the set itself excluded (sorted tuples, as stored)."""
    for size in range(2, len(people)):
        yield from combinations(people, size)


class _ParticipantFamilies:
    """Participant sets of one namespace (an event kind), found by the participant rule."""

    def __init__(self) -> None:
        self.rep: dict[tuple[str, ...], MatchKey] = {}  # participant set → a key that has it
        self.supersets: dict[tuple[str, ...], set[tuple[str, ...]]] = defaultdict(set)
        self.large: dict[str, set[tuple[str, ...]]] = defaultdict(set)  # member → large sets

    def add(self, key: MatchKey) -> list[MatchKey]:
        """Register ``key``; the keys it must be joined with."""
        people = key[1]
        known = self.rep.get(people)
        if known is not None:
            return [known]
        found: set[tuple[str, ...]] = set()
        if len(people) >= 2:
            found.update(self.supersets.get(people, ()))
            if 2 < len(people) <= MAX_SUBSET_INDEX:
                found.update(s for s in _proper_subsets(people) if s in self.rep)
            elif len(people) > MAX_SUBSET_INDEX:
                found.update(s for s in {p for m in people for p in self.large.get(m, ())} if set(s) <= set(people))
                found.update(s for s in self.rep if 2 <= len(s) < len(people) and set(s) <= set(people))
            if self.large:
                for member in people:
                    found.update(s for s in self.large.get(member, ()) if set(people) < set(s))
        self.rep[people] = key
        if len(people) > MAX_SUBSET_INDEX:
            for member in people:
                self.large[member].add(people)
        elif len(people) > 2:  # a pair has no proper subset of two or more
            for sub in _proper_subsets(people):
                self.supersets[sub].add(people)
        if not found:
            return []
        return [self.rep[s] for s in sorted(found)]


class _ObjectFamilies:
    """Proposals and agreements: the same what (object words), whoever proposes it; one that
    names no what is only the same as those of its kind and people (see ``merge.core_match``)."""

    def __init__(self, agreements: bool) -> None:
        self.agreements = agreements
        self.by_object: dict[tuple[str, ...], list[MatchKey]] = defaultdict(list)
        self.nobody: dict[tuple[str, ...], list[MatchKey]] = defaultdict(list)  # no participants
        self.by_object_person: dict[tuple[tuple[str, ...], str], list[MatchKey]] = defaultdict(list)
        self.words: dict[str, set[tuple[str, ...]]] = defaultdict(set)
        self.similar: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
        #: proposed meetings, calls, …: the participant rule, within one kind
        self.others: dict[str, _ParticipantFamilies] = defaultdict(_ParticipantFamilies)

    def _objects_like(self, obj: tuple[str, ...]) -> set[tuple[str, ...]]:
        if obj not in self.similar:
            near = {o for w in obj for o in self.words.get(w, ())}
            same = {o for o in near if objects_match(obj, o)} | {obj}
            self.similar[obj] = same
            for o in same:
                self.similar[o].add(obj)
            for w in obj:
                self.words[w].add(obj)
        return self.similar[obj]

    def add(self, key: MatchKey) -> list[MatchKey]:
        kind, people, obj = key
        if kind not in OBJECT_KINDS:
            return self.others[kind].add(key)
        joins: list[MatchKey] = []
        # (an object-less one matches only those of its kind and people: its own key)
        if obj:
            for other in sorted(self._objects_like(obj)):
                # keys listed together match each other (same object; no one, or a shared
                # person), so they are one region already: joining the first joins them all
                if not self.agreements:
                    joins.extend(self.by_object[other][:1])
                elif not people:
                    joins.extend(self.by_object[other])
                else:
                    joins.extend(self.nobody[other][:1])
                    for person in people:
                        joins.extend(self.by_object_person[(other, person)][:1])
            self.by_object[obj].append(key)
            if not people:
                self.nobody[obj].append(key)
            for person in people:
                self.by_object_person[(obj, person)].append(key)
        return joins


@final
class Region:
    """A match key of the index. The keys of a component point, through ``parent``, to its root,
    which holds the region: its keys, its groups in ``repr`` order and the ids of the items last
    built from it. Regions are compared by identity (a refresh collects the touched ones)."""

    __slots__ = ("groups", "items", "key", "members", "parent", "reprs")

    def __init__(self, key: MatchKey) -> None:
        self.key: Final = key
        self.parent: Region | None = None  # (None: a root)
        self.members: list[MatchKey] = [key]
        self.groups: list[SigGroup] = []  # in repr order …
        self.reprs: list[str] | None = None  # … and their reprs (regions of two or more)
        self.items: set[str] = _NO_ITEMS  # (replaced, never edited)


_NO_ITEMS: set[str] = set()


class RegionIndex:
    """Connected components of the core relation over the match keys of one bucket, each with
    its signature groups in ``repr`` order."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket
        self.mode = mode_of(bucket)
        self._keys: dict[MatchKey, Region] = {}
        self._first: MatchKey | None = None
        self._people = _ParticipantFamilies()
        self._objects = _ObjectFamilies(agreements=bucket == "agreements")

    @classmethod
    def rebuilt(cls, bucket: str, groups: Iterable[SigGroup]) -> RegionIndex:
        """A fresh index of these groups (after a key went away: components may have split)."""
        index = cls(bucket)
        by_key: dict[MatchKey, list[SigGroup]] = {}
        for g in groups:
            at = by_key.get(g.key)
            if at is None:
                by_key[g.key] = [g]
            else:
                at.append(g)
        for key in sorted(by_key):
            index.add(key)
        for region in index._keys.values():
            if region.parent is not None:
                continue
            ordered = by_key[region.key] if len(region.members) == 1 else [g for k in region.members for g in by_key[k]]
            if len(ordered) > 1:
                ordered.sort(key=_text)
                region.reprs = [g.text for g in ordered]
            region.groups = ordered
        return index

    def __contains__(self, key: MatchKey) -> bool:
        return key in self._keys

    def add(self, key: MatchKey) -> None:
        """Register a key (no-op when known) and join it to every region it matches."""
        if key in self._keys:
            return
        node = self._keys[key] = Region(key)
        if self.mode == "all":
            joins = [self._first] if self._first is not None else []
            self._first = self._first or key
        elif self.mode == "objects":
            joins = self._objects.add(key)
        else:
            joins = self._people.add(key)
        for other in joins:
            self._union(node, self._keys[other])

    def add_group(self, group: SigGroup) -> None:
        """A signature new to the bucket (its key registered if new)."""
        self.add(group.key)
        _insert(self.find(group.key), group)

    def remove_group(self, group: SigGroup) -> None:
        """A group that lost its last fact (its key keeps others: a key that goes away rebuilds
        the index, see :meth:`rebuilt`)."""
        region = self.find(group.key)
        groups = region.groups
        at = next(i for i, g in enumerate(groups) if g is group)
        del groups[at]
        if region.reprs is not None:
            del region.reprs[at]
            if len(groups) <= 1:
                region.reprs = None

    def region_of(self, key: MatchKey) -> Region | None:
        """The region (root) of a key, or None for a key not registered."""
        node = self._keys.get(key)
        if node is None:
            return None
        if node.parent is None:
            return node
        return self.find(key)

    def find(self, key: MatchKey) -> Region:
        """The region (root) of a registered key."""
        node = self._keys[key]
        root = node
        while root.parent is not None:
            root = root.parent
        while node.parent is not None and node.parent is not root:  # path compression
            node.parent, node = root, node.parent
        return root

    def _union(self, a: Region, b: Region) -> None:
        ra, rb = self._root(a), self._root(b)
        if ra is rb:
            return
        if len(ra.members) < len(rb.members):
            ra, rb = rb, ra
        rb.parent = ra
        ra.members.extend(rb.members)
        rb.members = []
        if rb.items:
            ra.items = ra.items | rb.items
        rb.items = _NO_ITEMS
        into, moved = ra.groups, rb.groups
        into_reprs, moved_reprs = ra.reprs, rb.reprs
        rb.groups, rb.reprs = [], None
        # the smaller list goes into the larger one (so a group moves O(log n) times)
        if len(into) < len(moved):
            into, moved, into_reprs = moved, into, moved_reprs
        ra.groups, ra.reprs = into, into_reprs
        for group in moved:
            _insert(ra, group)

    @staticmethod
    def _root(node: Region) -> Region:
        while node.parent is not None:
            node = node.parent
        return node

    def members(self, root: Region) -> list[MatchKey]:
        return root.members

    def groups(self, root: Region) -> list[SigGroup]:
        """The region's groups in ``repr`` order (the index's own list: copy to keep)."""
        return root.groups

    def roots(self) -> list[Region]:
        """Every region, in the order of their root keys."""
        return sorted((r for r in self._keys.values() if r.parent is None), key=region_key)

    def items(self, root: Region) -> set[str]:
        """The ids of the items last built from this region (merged regions pool theirs)."""
        return root.items

    def set_items(self, root: Region, item_ids: Iterable[str]) -> None:
        root.items = set(item_ids)


def _insert(region: Region, group: SigGroup) -> None:
    """Put ``group`` in its place in the region's list."""
    groups = region.groups
    if not groups:  # (most regions hold one signature: no repr list is kept for those)
        groups.append(group)
        return
    reprs = region.reprs
    if reprs is None:
        reprs = region.reprs = [g.text for g in groups]
    text = group.text
    at = bisect(reprs, text)
    reprs.insert(at, text)
    groups.insert(at, group)


def region_key(region: Region) -> MatchKey:
    """The order regions are gone through in (their root keys')."""
    return region.key


def _text(group: SigGroup) -> str:
    return group.text
