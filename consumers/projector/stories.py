"""Stories: articles that report the same thing, clustered incrementally (pure, no quadratic pass).

Two articles are linked when their texts are near-duplicates (MinHash of word 3-shingles) or when
they share enough named entities (MinHash of their entity-id sets). Candidates come from LSH bands
(``datasketch``'s MinHash, and its choice of bands for a threshold); a candidate is confirmed by
the MinHash Jaccard estimate, which is symmetric. A story is a connected component of the links
(union–find), so the clusters do not depend on arrival order.

The buckets of the bands group their articles by story (:class:`StoryBands`): a story of the
talks gathers thousands of articles that share a cast and fall in the same buckets, and a new
article of that story passes over all of them at once instead of one by one — adding an article
costs about the number of stories it could join, not the number of articles before it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
from datasketch import MinHash, MinHashLSH

from consumers.projector.rows import Section, TrackedDict

NUM_PERM = 64
SEED = 7
SCHEME = "affine32"  # pinned: checkpointed signatures must be read back with the same scheme
_WORD = re.compile(r"\w+", re.UNICODE)


Signature = npt.NDArray[np.uint64]


def signature(tokens: Iterable[str]) -> Signature:
    mh = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
    mh.update_batch([t.encode("utf-8") for t in tokens])
    return np.asarray(mh.hashvalues, dtype=np.uint64)


def similarity(a: Signature, b: Signature) -> float:
    """The Jaccard estimate of two signatures (as ``MinHash.jaccard``)."""
    return float(np.count_nonzero(a == b)) / NUM_PERM


def shingles(text: str, size: int = 3) -> set[str]:
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


#: A bucket of a band: the one key that fell in it (most buckets), or its keys grouped by story.
Bucket = str | dict[str, list[str]]


def article_of(key: str) -> str:
    """The article of an index key (``article@revision`` or ``article@extraction``)."""
    return key.split("@", 1)[0]


class StoryBands:
    """LSH bands whose buckets hold their keys grouped by story (see the module doc).

    A group is filed under the story its keys had when they were filed; stories merge later, so
    :meth:`groups` first files every group of a bucket under the story it belongs to now. A
    bucket of one key is that key alone: most are, and a dict and a list each would triple the
    index's memory."""

    def __init__(self, threshold: float) -> None:
        # only for its choice of bands and rows for the threshold (false positives vs negatives)
        self._ranges = MinHashLSH(threshold=threshold, num_perm=NUM_PERM).hashranges
        self._tables: list[dict[bytes, Bucket]] = [{} for _ in self._ranges]

    def parts(self, sig: Signature) -> list[bytes]:
        """The signature's rows of each band (the bucket it falls in, band by band)."""
        return [sig[lo:hi].tobytes() for lo, hi in self._ranges]

    def groups(self, band: int, part: bytes, story_of: Callable[[str], str]) -> list[tuple[str, list[str]]]:
        """A bucket's keys by story (as stories are now: merged groups are joined first)."""
        bucket = self._tables[band].get(part)
        if bucket is None:
            return []
        if isinstance(bucket, str):
            return [(story_of(article_of(bucket)), [bucket])]
        for filed in list(bucket):
            story = story_of(filed)
            if story != filed:
                keys, kept = bucket.pop(filed), bucket.get(story)
                if kept is None:
                    bucket[story] = keys
                elif len(keys) > len(kept):  # extend the larger list by the smaller
                    bucket[story] = keys
                    keys.extend(kept)
                else:
                    kept.extend(keys)
        return list(bucket.items())

    def insert(self, band: int, part: bytes, key: str, story: str, story_of: Callable[[str], str]) -> None:
        """File a key in a bucket under its story."""
        table = self._tables[band]
        bucket = table.get(part)
        if bucket is None:
            table[part] = key
            return
        if isinstance(bucket, str):
            bucket = table[part] = {story_of(article_of(bucket)): [bucket]}
        bucket.setdefault(story, []).append(key)


class StoryIndex:
    """Incremental clustering of articles into stories."""

    def __init__(self, text_threshold: float = 0.5, entity_threshold: float = 0.3) -> None:
        self.text_threshold = text_threshold
        self.entity_threshold = entity_threshold
        self._text = StoryBands(text_threshold)
        self._ents = StoryBands(entity_threshold)
        # key → its signature's bytes (one object for a signature and its copies: see _add)
        # (tracked: a checkpoint writes the keys set since the last one)
        self._text_mh: TrackedDict[bytes] = TrackedDict()
        self._ent_mh: TrackedDict[bytes] = TrackedDict()
        self._times: TrackedDict[float] = TrackedDict()  # key → its event's time, when known (see since())
        self._parent: dict[str, str] = {}
        self._members: dict[str, list[str]] = {}  # root → the articles of its story
        self._changed: set[str] = set()  # articles whose story gained members since take_changed()
        self._merged: list[tuple[str, str]] = []  # (absorbed root, root it joined) since take_merged()
        self._text_same: dict[bytes, str] = {}  # signature → the first key that had it
        self._ent_same: dict[bytes, str] = {}
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
            joined, absorbed = self._members[lo], self._members.pop(hi)
            if len(absorbed) > len(joined):  # copy the smaller list, not the larger
                joined, absorbed = absorbed, joined
                self._members[lo] = joined
            joined.extend(absorbed)
            self._changed.add(lo)
            self._merged.append((hi, lo))
            self.links += 1

    def _add(
        self,
        bands: StoryBands,
        store: dict[str, bytes],
        same: dict[bytes, str],
        key: str,
        sig: Signature,
        threshold: float,
        at: float | None,
    ) -> None:
        if key in store:
            return
        if at is not None:
            self._times[key] = at
        me = article_of(key)
        exact = sig.tobytes()
        if exact in same:
            # an exact copy (syndicated wire text, the same entities): whatever it would link to,
            # its twin already did (equal signatures, equal estimates), so one link is enough
            # and the index need not grow
            self._union(me, article_of(same[exact]))
            store[key] = store[same[exact]]
            return
        same[exact] = key
        parts = bands.parts(sig)
        unlike: set[str] = set()  # candidates compared and found too different
        for band, part in enumerate(parts):
            for story, keys in bands.groups(band, part, self._find):
                # a story this article is in already adds no link: its copies are passed over
                # at once. Any other story is joined through its first member similar enough.
                if self._find(story) == self._find(me):
                    continue
                for other in keys:
                    if other in unlike:
                        continue
                    if similarity(sig, np.frombuffer(store[other], dtype=np.uint64)) >= threshold:
                        self._union(me, article_of(other))
                        break
                    unlike.add(other)
        story = self._find(me)
        for band, part in enumerate(parts):
            bands.insert(band, part, key, story, self._find)
        store[key] = exact

    def add_text(self, article_id: str, revision: str, text: str, at: float | None = None) -> None:
        """Index one revision's text (a revision already indexed is ignored); ``at``: the time of
        its event (Unix seconds), which :meth:`since` reads."""
        self._find(article_id)
        toks = shingles(text)
        if toks:
            key = f"{article_id}@{revision}"
            self._add(self._text, self._text_mh, self._text_same, key, signature(toks), self.text_threshold, at)

    def add_entities(self, article_id: str, version: str, entity_ids: Iterable[str], at: float | None = None) -> None:
        """Index one extraction's entity set (one version per key, ignored when repeated)."""
        self._find(article_id)
        ids = sorted(set(entity_ids))
        if len(ids) >= 2:
            key = f"{article_id}@{version}"
            self._add(self._ents, self._ent_mh, self._ent_same, key, signature(ids), self.entity_threshold, at)

    def export(self) -> dict[str, dict[str, Any]]:
        """The indexed signatures and their times (for a checkpoint); :meth:`restore` rebuilds the
        same index."""
        return {
            name: {k: sec.encode(v) for k, v in sorted(sec.values.items())} for name, sec in self.sections().items()
        }

    def sections(self) -> dict[str, Section]:
        """:meth:`export` as keyed sections (a checkpoint writes the keys that changed): a key's
        signature bytes and time are replaced, never edited."""
        return {
            "text": Section(self._text_mh, _signature_row),
            "entities": Section(self._ent_mh, _signature_row),
            "times": Section(self._times, _same),
        }

    @classmethod
    def restore(cls, saved: Mapping[str, Mapping[str, Any]], articles: Iterable[str] = ()) -> StoryIndex:
        """The index a checkpoint saved (a key saved without a time is never forgotten)."""

        def signatures(kind: str) -> dict[str, bytes]:
            return {k: np.asarray(v, dtype=np.uint64).tobytes() for k, v in saved.get(kind, {}).items()}

        times = {k: float(t) for k, t in saved.get("times", {}).items()}
        return cls()._filled(signatures("text"), signatures("entities"), times, articles)

    def since(self, cutoff: float, articles: Iterable[str] = ()) -> StoryIndex:
        """The index of only the keys whose events are not older than ``cutoff`` (and of
        ``articles``): as if the older had never been added. Links cannot be taken out of a
        union–find, so it is built anew; a pass over the keys kept."""

        def recent(store: Mapping[str, bytes]) -> dict[str, bytes]:
            return {k: sig for k, sig in store.items() if self._times.get(k, cutoff) >= cutoff}

        fresh = StoryIndex(self.text_threshold, self.entity_threshold)
        return fresh._filled(recent(self._text_mh), recent(self._ent_mh), self._times, articles)

    def _filled(
        self, text: Mapping[str, bytes], ents: Mapping[str, bytes], times: Mapping[str, float], articles: Iterable[str]
    ) -> StoryIndex:
        for a in articles:
            self._find(a)
        for bands, store, same, threshold, saved in (
            (self._text, self._text_mh, self._text_same, self.text_threshold, text),
            (self._ents, self._ent_mh, self._ent_same, self.entity_threshold, ents),
        ):
            for key, raw in saved.items():
                self._find(article_of(key))
                self._add(bands, store, same, key, np.frombuffer(raw, dtype=np.uint64), threshold, times.get(key))
        return self

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

    def take_merged(self) -> list[tuple[str, str]]:
        """The stories merged since the last call, in order: (the absorbed story's id, the id of
        the story it joined). A story's id is its smallest article id, so the joined one is kept."""
        merged, self._merged = self._merged, []
        return merged

    def take_changed(self) -> set[str]:
        """Articles whose story gained members since the last call (one per story is enough)."""
        changed, self._changed = self._changed, set()
        return changed


def _signature_row(sig: bytes) -> list[int]:
    return list(np.frombuffer(sig, dtype=np.uint64).tolist())


def _same(value: Any) -> Any:
    return value
