"""Stories: articles that report the same thing, clustered incrementally (pure, no quadratic pass).

Two articles are linked when their texts are near-duplicates (MinHash of word 3-shingles) or when
they share enough named entities (MinHash of their entity-id sets). Candidates come from
``datasketch`` LSH indexes, so adding an article costs about the same however many came before;
a candidate is confirmed by the MinHash Jaccard estimate, which is symmetric. A story is a
connected component of the links (union–find), so the clusters do not depend on arrival order.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from datasketch import MinHash, MinHashLSH

NUM_PERM = 64
SEED = 7
SCHEME = "affine32"  # pinned: checkpointed signatures must be read back with the same scheme
_WORD = re.compile(r"\w+", re.UNICODE)


def _minhash(tokens: Iterable[str]) -> MinHash:
    mh = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
    mh.update_batch([t.encode("utf-8") for t in tokens])
    return mh


def shingles(text: str, size: int = 3) -> set[str]:
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


class StoryIndex:
    """Incremental clustering of articles into stories."""

    def __init__(self, text_threshold: float = 0.5, entity_threshold: float = 0.3) -> None:
        self.text_threshold = text_threshold
        self.entity_threshold = entity_threshold
        self._text = MinHashLSH(threshold=text_threshold, num_perm=NUM_PERM)
        self._ents = MinHashLSH(threshold=entity_threshold, num_perm=NUM_PERM)
        self._text_mh: dict[str, MinHash] = {}
        self._ent_mh: dict[str, MinHash] = {}
        self._parent: dict[str, str] = {}
        self._members: dict[str, list[str]] = {}  # root → the articles of its story
        self._changed: set[str] = set()  # articles whose story gained members since take_changed()
        self._text_same: dict[tuple[int, ...], str] = {}  # signature → the first key that had it
        self._ent_same: dict[tuple[int, ...], str] = {}
        self.links = 0

    # union-find over article ids -------------------------------------------------------------
    def _find(self, a: str) -> str:
        if a not in self._parent:
            self._parent[a] = a
            self._members[a] = [a]
            self._changed.add(a)
        root = a
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[a] != root:
            self._parent[a], a = root, self._parent[a]
        return root

    def _union(self, a: str, b: str) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra != rb:
            lo, hi = sorted((ra, rb))
            self._parent[hi] = lo
            self._members[lo].extend(self._members.pop(hi))
            self._changed.add(lo)
            self.links += 1

    @staticmethod
    def _article(key: str) -> str:
        return key.split("@", 1)[0]

    def _add(
        self,
        lsh: MinHashLSH,
        store: dict[str, MinHash],
        same: dict[tuple[int, ...], str],
        key: str,
        mh: MinHash,
        threshold: float,
    ) -> None:
        if key in store:
            return
        me = self._article(key)
        signature = tuple(int(x) for x in mh.hashvalues)
        if signature in same:
            # an exact copy (syndicated wire text, the same entities): whatever it would link to,
            # its twin already did (equal signatures, equal estimates), so one link is enough
            # and the index need not grow
            self._union(me, self._article(same[signature]))
            store[key] = mh
            return
        same[signature] = key
        for other in sorted(lsh.query(mh)):
            # a candidate already in this story adds no link: skipping it keeps a flood of
            # near-duplicates (one story, thousands of copies) from costing a comparison each
            if self._find(self._article(other)) != self._find(me) and mh.jaccard(store[other]) >= threshold:
                self._union(me, self._article(other))
        lsh.insert(key, mh)
        store[key] = mh

    def add_text(self, article_id: str, revision: str, text: str) -> None:
        """Index one revision's text (a revision already indexed is ignored)."""
        self._find(article_id)
        toks = shingles(text)
        if toks:
            key = f"{article_id}@{revision}"
            self._add(self._text, self._text_mh, self._text_same, key, _minhash(toks), self.text_threshold)

    def add_entities(self, article_id: str, version: str, entity_ids: Iterable[str]) -> None:
        """Index one extraction's entity set (one version per key, ignored when repeated)."""
        self._find(article_id)
        ids = sorted(set(entity_ids))
        if len(ids) >= 2:
            key = f"{article_id}@{version}"
            self._add(self._ents, self._ent_mh, self._ent_same, key, _minhash(ids), self.entity_threshold)

    def export(self) -> dict[str, dict[str, list[int]]]:
        """The indexed signatures (for a checkpoint); :meth:`restore` rebuilds the same index."""
        return {
            "text": {k: [int(x) for x in mh.hashvalues] for k, mh in sorted(self._text_mh.items())},
            "entities": {k: [int(x) for x in mh.hashvalues] for k, mh in sorted(self._ent_mh.items())},
        }

    @classmethod
    def restore(cls, saved: dict[str, dict[str, list[int]]], articles: Iterable[str] = ()) -> StoryIndex:
        index = cls()
        for a in articles:
            index._find(a)
        for key, values in saved.get("text", {}).items():
            mh = MinHash(num_perm=NUM_PERM, seed=SEED, hashvalues=values, scheme=SCHEME)
            index._find(cls._article(key))
            index._add(index._text, index._text_mh, index._text_same, key, mh, index.text_threshold)
        for key, values in saved.get("entities", {}).items():
            mh = MinHash(num_perm=NUM_PERM, seed=SEED, hashvalues=values, scheme=SCHEME)
            index._find(cls._article(key))
            index._add(index._ents, index._ent_mh, index._ent_same, key, mh, index.entity_threshold)
        return index

    def clusters(self) -> list[list[str]]:
        """Stories as sorted lists of article ids, in order of their smallest id."""
        groups: dict[str, list[str]] = defaultdict(list)
        for a in self._parent:
            groups[self._find(a)].append(a)
        return sorted(sorted(g) for g in groups.values())

    def story_of(self, article_id: str) -> str:
        return self._find(article_id)

    def members(self, article_id: str) -> list[str]:
        """The articles of ``article_id``'s story, sorted."""
        return sorted(self._members[self._find(article_id)])

    def take_changed(self) -> set[str]:
        """Articles whose story gained members since the last call (one per story is enough)."""
        changed, self._changed = self._changed, set()
        return changed
