"""Near-duplicate detection for syndicated copies (the same wire story under another URL).

MinHash over word 5-shingles with an LSH index (datasketch): a candidate lookup costs the same
however many articles are indexed, never a quadratic pass. The index keeps the ``capacity`` most
recent signatures (oldest evicted), and signatures are plain bytes, so the caller persists them and
rebuilds the index after a restart.
"""

from __future__ import annotations

import re
import unicodedata
from collections import OrderedDict

import numpy as np
from datasketch import MinHash, MinHashLSH

_WORD = re.compile(r"\w+", re.UNICODE)


class NearDuplicates:
    """Article id → MinHash signature, with an LSH index for Jaccard ≥ ``threshold`` candidates."""

    def __init__(self, threshold: float = 0.85, num_perm: int = 64, shingle: int = 5, capacity: int = 50_000) -> None:
        self.threshold = threshold
        self.num_perm = num_perm
        self.shingle = shingle
        self.capacity = capacity
        self._template = MinHash(num_perm=num_perm, seed=1)
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._sigs: OrderedDict[str, MinHash] = OrderedDict()

    def __len__(self) -> int:
        return len(self._sigs)

    def _shingles(self, text: str) -> set[bytes]:
        words = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
        n = self.shingle
        if len(words) < n:
            return {" ".join(words).encode()} if words else set()
        return {" ".join(words[i : i + n]).encode() for i in range(len(words) - n + 1)}

    def signature(self, text: str) -> bytes | None:
        """A text's signature (None when it has no words)."""
        shingles = self._shingles(text)
        if not shingles:
            return None
        m = MinHash(
            num_perm=self.num_perm, seed=1, permutations=self._template.permutations, scheme=self._template.scheme
        )
        m.update_batch(list(shingles))
        return bytes(m.hashvalues.tobytes())

    def _minhash(self, sig: bytes) -> MinHash:
        values = np.frombuffer(sig, dtype=self._template.hashvalues.dtype).copy()
        return MinHash(
            num_perm=self.num_perm,
            seed=1,
            hashvalues=values,
            permutations=self._template.permutations,
            scheme=self._template.scheme,
        )

    def find(self, sig: bytes, exclude: str | None = None) -> str | None:
        """The indexed article most similar to ``sig`` (estimated Jaccard ≥ threshold), if any."""
        m = self._minhash(sig)
        best: tuple[float, str] | None = None
        for key in self._lsh.query(m):
            if key == exclude:
                continue
            score = float(m.jaccard(self._sigs[key]))
            if score >= self.threshold and (best is None or (score, key) > best):
                best = (score, key)
        return best[1] if best else None

    def add(self, article_id: str, sig: bytes) -> None:
        if article_id in self._sigs:
            self._lsh.remove(article_id)
            del self._sigs[article_id]
        m = self._minhash(sig)
        self._lsh.insert(article_id, m)
        self._sigs[article_id] = m
        while len(self._sigs) > self.capacity:
            old, _ = self._sigs.popitem(last=False)
            self._lsh.remove(old)
