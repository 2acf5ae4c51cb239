"""The facts of one bucket that share a signature: the unit the view indexes, merges and rebuilds.

Facts with equal signatures (:meth:`Fact.signature`: kind, who, when, where, actor, what,
speaker) always land in the same item, so the view keeps one :class:`SigGroup` per signature of
a bucket and works with those: a new fact costs one lookup of its signature, and what is known of
a signature — its ``repr`` (the order items are built and named in), the id of the item it heads,
the facts the merge reads — is computed once, not per fact or per refresh. Groups are compared
by identity: one that empties is dropped, and a signature that comes back gets a new group.

Each group also notes what happened to it since the last refresh (``touched``, ``added``,
``spoiled``), which tells a refresh which items to rebuild, which it may keep as they were, and
which it may fold further (see :meth:`TalksView.refresh`).

Pure data: no Kafka, no clock.
"""

from __future__ import annotations

from typing import Any, Final, final

from consumers.projector.facts import Fact, match_key_of
from newswire.ids import stable_id

#: A fact's signature (:meth:`consumers.projector.facts.Fact.signature`).
Sig = tuple[Any, ...]
#: (kind, participants, object words): what the core of the merge rule reads of a signature.
MatchKey = tuple[str, tuple[str, ...], tuple[str, ...]]
#: (article id, claim id): a fact within its group.
FactId = tuple[str, str]
#: What the partition reads of a group: its first fact, its articles, the values it says.
Summary = tuple[Fact, frozenset[str], frozenset[float]]


@final
class SigGroup:
    """One signature of one bucket and its facts (see the module doc)."""

    __slots__ = (
        "_first",
        "_item_id",
        "_summary",
        "_text",
        "added",
        "bucket",
        "deals",
        "facts",
        "key",
        "negated",
        "sig",
        "spoiled",
        "touched",
    )

    def __init__(self, bucket: str, sig: Sig, key: MatchKey | None = None) -> None:
        self.bucket: Final = bucket
        self.sig: Final = sig
        self.key: Final[MatchKey] = key if key is not None else match_key_of(sig)
        self.facts: Final[dict[FactId, Fact]] = {}
        self.negated: Final = bucket.startswith("negated:")  # denials: no item of their own
        self.deals: Final = bucket in ("agreements", "proposals")  # (what the ceasefire status reads)
        self._text: str | None = None
        self._item_id: str | None = None
        self._summary: Summary | None = None
        self._first: Fact | None = None
        # since the last refresh (reset by it)
        self.touched = False  # a fact came or went, or the article behind one changed
        self.spoiled = False  # a fact went or was given again, or the article behind one changed
        self.added: list[Fact] | None = None  # the facts new since

    @property
    def text(self) -> str:
        """``repr`` of the signature: regions keep their groups in this order, and the first of an
        item's groups names it."""
        text = self._text
        if text is None:
            text = self._text = repr(self.sig)
        return text

    @property
    def item_id(self) -> str:
        """The id of the item this group heads (an item is named after its first group)."""
        item_id = self._item_id
        if item_id is None:
            item_id = self._item_id = stable_id("item", self.bucket, self.text)
        return item_id

    def summary(self) -> Summary:
        """The first fact by (article, claim), the articles and the values said (kept until the
        group is touched)."""
        summary = self._summary
        if summary is None:
            facts = self.facts
            first = self.first()
            summary = self._summary = (
                first,
                frozenset(aid for aid, _cid in facts),
                frozenset(f.value for f in facts.values() if f.value is not None),
            )
        return summary

    def first(self) -> Fact:
        """The first fact by (article, claim): what an item this group heads is of."""
        first = self._first
        if first is None:
            summary = self._summary
            facts = self.facts
            if summary is not None:
                first = summary[0]
            elif len(facts) == 1:
                for f in facts.values():
                    first = f
            if first is None:
                first = min(facts.values(), key=_by_claim)
            self._first = first
        return first

    def forget_summary(self) -> None:
        self._summary = None
        self._first = None

    def settled(self) -> None:
        """A refresh took in what happened to the group."""
        self.touched = False
        self.spoiled = False
        self.added = None


def _by_claim(f: Fact) -> tuple[str, str]:
    return (f.article_id, f.claim_id)
