"""Which facts of one bucket make one item (pure, deterministic: a function of the set of facts).

Merge rule: facts of the same bucket (same event kind, count category, …) are one item when
they agree on who (participant sets equal, or one contains the other with at least two people),
when (dates equal) and where (places equal), or — for proposals, offers, demands and agreements —
on what (object words, one set containing the other). A fact that leaves a value unstated (no
date, no place), or states a week or month where others state a day inside it, joins the item
that does state it only when exactly one value is on offer, so the result never depends on
arrival order; a count joins only an item that says one of its numbers.
:mod:`consumers.projector.items` builds the items.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any

from consumers.projector import datespan
from consumers.projector.facts import OBJECT_KINDS, Fact
from consumers.projector.regions import objects_match, participants_match
from newswire.ids import stable_id

Sig = tuple[Any, ...]
#: Facts in canonical order: by (article, claim) — the first two fields of a fact.
BY_CLAIM = itemgetter(0, 1)


def core_match(bucket: str, a: Fact, b: Fact) -> bool:
    """Whether two signatures are about the same thing, ignoring unstated attributes."""
    if bucket.startswith("party:"):
        return True
    if bucket in ("proposals", "agreements"):
        if a.kind not in OBJECT_KINDS or b.kind not in OBJECT_KINDS:  # proposed meetings, calls, …
            return a.kind == b.kind and participants_match(a.participants, b.participants)
        if a.object_key and b.object_key:
            if not objects_match(a.object_key, b.object_key):
                return False
            if bucket == "agreements" and a.participants and b.participants:
                return bool(set(a.participants) & set(b.participants))
            return True
        if not (a.participants or b.participants or a.object_key or b.object_key):
            return a.kind == b.kind  # neither who nor what: the one vague proposal of its kind
        # who without what ("Trump pushed for an immediate …") is not any of their proposals:
        # matching each, it glued every proposal of theirs into one item
        return not (a.object_key or b.object_key) and a.participants == b.participants and a.kind == b.kind
    if bucket.startswith("count:"):
        return True
    return participants_match(a.participants, b.participants)


_ATTRS = ("date", "place", "actor")


def _attrs(bucket: str) -> tuple[str, ...]:
    """The stated values that tell two items of a bucket apart."""
    if bucket.startswith("party:") or bucket in ("proposals", "agreements"):
        return ()  # one proposal whoever makes it, whenever; one party
    if bucket.startswith("count:"):
        return ("place", "actor")  # a count's time is free text ("overnight"): shown, not compared
    return _ATTRS


def partition(
    bucket: str,
    reps: Sequence[Fact],
    support: Sequence[frozenset[str]],
    values: Sequence[frozenset[float]] | None = None,
) -> list[list[int]]:
    """Group signature representatives (one fact per signature) into items; indices, sorted (see
    :func:`_partition`). Proposals are grouped by what they propose: the signatures of one
    object are one, and only the distinct objects are compared pairwise (a region of the
    talks' proposals holds thousands of signatures and a few dozen objects)."""
    if not _nests_objects(bucket):
        return _partition(bucket, reps, support, values)
    by_object: dict[tuple[str, ...], list[int]] = defaultdict(list)
    others: list[int] = []
    for i, r in enumerate(reps):
        if r.kind in OBJECT_KINDS and r.object_key:
            by_object[r.object_key].append(i)
        else:  # (proposed meetings, proposals of no stated what: never the same as those above)
            others.append(i)
    objects = sorted(by_object)
    members = [by_object[o] for o in objects]
    out = [
        [i for k in group for i in members[k]]
        for group in _partition(
            bucket,
            [reps[m[0]] for m in members],
            [frozenset().union(*(support[i] for i in m)) for m in members],
        )
    ]
    if others:
        out += [
            [others[k] for k in group]
            for group in _partition(bucket, [reps[i] for i in others], [support[i] for i in others])
        ]
    return sorted(sorted(group) for group in out)


def _partition(
    bucket: str,
    reps: Sequence[Fact],
    support: Sequence[frozenset[str]],
    values: Sequence[frozenset[float]] | None = None,
) -> list[list[int]]:
    """Group signature representatives (one fact per signature) into items; indices, sorted.

    ``support[i]`` is the set of articles behind signature *i*. First, signatures that agree on
    who/what and state the same date, place and actor (or leave the same ones unstated) are
    grouped. Then a signature that states a week or a month joins the compatible group of a day
    inside it, and then one that leaves a value unstated joins the compatible group that states
    it — each the group with the most supporting articles, only when that group is the single
    best, so a vague mention never glues two different events together by chance of arrival.
    ``values[i]``, when given, are the values signature *i*'s facts say: a count joins only a
    group that says one of its numbers.
    """
    n = len(reps)
    if n == 1:
        return [[0]]
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)

    attrs = _attrs(bucket)
    always = _always_core(bucket)

    def attr_key(i: int) -> tuple[Any, ...]:
        return tuple(getattr(reps[i], a) for a in attrs)

    if always:
        # every pair is about the same thing: group by stated attributes (no pairwise pass), and
        # let the vague ones choose among the distinct attribute tuples, not among all signatures
        by_attrs: dict[tuple[Any, ...], int] = {}
        for i in range(n):
            union(i, by_attrs.setdefault(attr_key(i), i))
        distinct = sorted(by_attrs.values())
        core: list[list[int]] | None = None
    else:
        # only signatures that share a participant or an object word can match: an inverted index
        index: dict[tuple[str, str], list[int]] = defaultdict(list)
        keys = [_block_keys(r) for r in reps]
        for i, ks in enumerate(keys):
            for k in ks:
                index[k].append(i)
        core = []
        for i in range(n):
            near: set[int] = set()
            for k in keys[i]:
                near.update(index[k])
            near.discard(i)
            core.append(sorted(j for j in near if core_match(bucket, reps[i], reps[j])))
        nested = _nests_objects(bucket)
        for i in range(n):
            for j in core[i]:
                if j > i and all(getattr(reps[i], a) == getattr(reps[j], a) for a in attrs):
                    if nested and (_vaguer(reps[i], reps[j]) or _vaguer(reps[j], reps[i])):
                        continue  # (a vaguer what joins below, only where it is not ambiguous)
                    union(i, j)
    if core is not None and "date" in attrs:
        # a week or a month is a vaguer statement of a day inside it ("last week" of "Friday"):
        # first those join the single best group of a day they contain …
        near_of = core
        _join_vague(
            bucket, reps, support, values, find, union, lambda i: [j for j in near_of[i] if _refines(reps[j], reps[i])]
        )
    if core is not None and _nests_objects(bucket):
        # a proposal of "a ceasefire" is the one of "a 30-day ceasefire" only when no other,
        # "a 60-day ceasefire", is as well supported: through the vague one, every ceasefire
        # proposed anywhere was one item
        near_of = core
        _join_vague(
            bucket, reps, support, values, find, union, lambda i: [j for j in near_of[i] if _vaguer(reps[i], reps[j])]
        )
    # … then signatures that leave a value unstated join the single best group that states it;
    # with no pairwise relation, among the distinct tuples that state one of those values
    stating = {a: [j for j in distinct if getattr(reps[j], a) is not None] for a in attrs} if core is None else {}

    def stating_what(i: int) -> list[int]:
        vague = [a for a in attrs if getattr(reps[i], a) is None]
        if not vague:
            return []
        pool = {j for a in vague for j in stating[a]} if core is None else core[i]
        return [j for j in pool if any(getattr(reps[j], a) is not None for a in vague)]

    _join_vague(bucket, reps, support, values, find, union, stating_what)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        groups[find(i)].append(i)
    return sorted(groups.values())


def _join_vague(
    bucket: str,
    reps: Sequence[Fact],
    support: Sequence[frozenset[str]],
    values: Sequence[frozenset[float]] | None,
    find: Callable[[int], int],
    union: Callable[[int, int], None],
    stating: Callable[[int], Iterable[int]],
) -> None:
    """Join each signature to the group, among those of ``stating(i)`` that agree with it on every
    attribute (and, for a count, say one of its numbers), with the most supporting articles —
    only when that group is the single best, so that a vague mention never glues two
    different events together by chance of arrival. Every choice is made on the groups as they
    are before this round: the result is free of order."""
    attrs = _attrs(bucket)
    # a count that leaves who or where unstated is about a stated count's incident only when it
    # says one of its numbers: "nine killed" in a bus strike by Russia is not the overnight
    # attack's "two killed", reported with no actor (the two were one item, a false conflict)
    said = values if values is not None and bucket.startswith("count:") else None
    first = [find(i) for i in range(len(reps))]
    group_support: dict[int, set[str]] = defaultdict(set)
    group_values: dict[int, set[float]] = defaultdict(set)
    for i, root in enumerate(first):
        group_support[root] |= support[i]
        if values is not None:
            group_values[root] |= values[i]
    joins: list[tuple[int, int]] = []
    for i in range(len(reps)):
        candidates = {
            first[j] for j in stating(i) if first[j] != first[i] and all(_attr_ok(reps[i], reps[j], a) for a in attrs)
        }
        if said is not None:  # "88 drones intercepted", by whom unstated: Ukraine's 88, not Russia's 25
            candidates = {g for g in candidates if not group_values[g].isdisjoint(said[i])}
        if not candidates:
            continue
        most = max(len(group_support[g]) for g in candidates)
        best = [g for g in candidates if len(group_support[g]) == most]
        if len(best) == 1:
            joins.append((i, best[0]))
    for i, g in _agreeing(reps, attrs, first, joins):
        union(i, g)


def _agreeing(
    reps: Sequence[Fact], attrs: Sequence[str], first: Sequence[int], joins: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """The joins that leave no group stating two values that disagree. Several signatures may
    join one group, each agreeing with it but not with each other: strikes in Kyiv and in Sumy,
    neither dated, each joined the dated strike that names no place, and became one strike. A
    joiner that states a value some other joiner or member of its group contradicts stays out."""
    by_group: dict[int, list[int]] = defaultdict(list)
    for i, g in joins:
        by_group[g].append(i)
    members: dict[int, list[int]] = defaultdict(list)
    for m, root in enumerate(first):
        if root in by_group:
            members[root].append(m)
    out: list[tuple[int, int]] = []
    for g, joiners in by_group.items():
        disputed = {a for a in attrs if _disputed(a, {getattr(reps[k], a) for k in (*members[g], *joiners)})}
        out += [(i, g) for i in joiners if all(getattr(reps[i], a) is None for a in disputed)]
    return out


def _disputed(attr: str, said: set[Any]) -> bool:
    """Whether two of the stated values of ``attr`` disagree."""
    stated = sorted(v for v in said if v is not None)
    if attr != "date":
        return len(stated) > 1
    return any(not datespan.compatible(a, b) for k, a in enumerate(stated) for b in stated[k + 1 :])


def _refines(fine: Fact, coarse: Fact) -> bool:
    """Whether ``fine`` states a day (week, …) inside the longer span ``coarse`` states."""
    return fine.date is not None and coarse.date is not None and datespan.within(fine.date, coarse.date)


def partitions_within_regions(bucket: str) -> bool:
    """Whether a region of the bucket can hold several items (stated dates, places, actors tell
    them apart, or specific objects a vaguer one names: "a 30-day" and "a 60-day ceasefire");
    where nothing does, a region is one item (see :mod:`consumers.projector.regions`)."""
    known = _PARTITIONS.get(bucket)
    if known is None:
        known = _PARTITIONS[bucket] = bool(_attrs(bucket)) or _nests_objects(bucket)
    return known


#: :func:`partitions_within_regions` of the buckets asked about (a few dozen; asked per group)
_PARTITIONS: dict[str, bool] = {}


def _nests_objects(bucket: str) -> bool:
    """Buckets whose items are told apart by what they are about: proposals (agreements match
    only with a party in common, which keeps a vague one from joining them all)."""
    return bucket == "proposals"


def _vaguer(vague: Fact, specific: Fact) -> bool:
    """Whether ``vague`` names less of what ``specific`` names ("ceasefire" of "30-day ceasefire")."""
    if vague.kind not in OBJECT_KINDS or specific.kind not in OBJECT_KINDS:
        return False
    return bool(vague.object_key) and set(vague.object_key) < set(specific.object_key)


def _always_core(bucket: str) -> bool:
    """Buckets where :func:`core_match` holds for every pair (a party's quotes, a count category)."""
    return bucket.startswith(("party:", "count:"))


def _block_keys(f: Fact) -> list[tuple[str, str]]:
    """Keys two signatures must share to possibly match (see :func:`core_match`): a participant,
    or an object word; facts without participants share the key of the empty set."""
    keys = [("p", p) for p in f.participants] or [("p", "")]
    keys += [("o", w) for w in f.object_key]
    return keys


def _attr_ok(a: Fact, b: Fact, attr: str) -> bool:
    va, vb = getattr(a, attr), getattr(b, attr)
    if attr == "date":
        return datespan.compatible(va, vb)
    return va is None or vb is None or va == vb


# --------------------------------------------------------------------------------------------
# an item's identity


def head_signature(facts: Iterable[Fact]) -> Sig:
    """The first signature of these facts by ``repr`` (what names their item)."""
    sigs = {f.signature() for f in facts}
    return next(iter(sigs)) if len(sigs) == 1 else min(sigs, key=repr)


def item_id(bucket: str, facts: Iterable[Fact]) -> str:
    """An item's id: from its bucket and the first of its signatures, so the same facts always
    make the same id whatever the order they came in."""
    return id_of_head(bucket, head_signature(facts))


def id_of_head(bucket: str, head: Sig) -> str:
    """The id of the item whose first signature (by ``repr``) is ``head``."""
    return stable_id("item", bucket, repr(head))
