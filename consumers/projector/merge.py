"""Facts of one bucket → items of the view (pure, deterministic: a function of the set of facts).

Merge rule: facts of the same bucket (same event kind, count category, …) are one item when
they agree on who (participant sets equal, or one contains the other with at least two people),
when (dates equal) and where (places equal), or — for proposals, offers, demands and agreements —
on what (object words, one set containing the other). A fact that leaves a value unstated (no
date, no place) joins the item that does state it only when exactly one value is on offer, so the
result never depends on arrival order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import Any, TypeVar

from consumers.projector.facts import DONE_STATUSES, OBJECT_KINDS, STATUS_RANK, Fact, Lexicon
from consumers.projector.regions import objects_match, participants_match
from newswire.ids import stable_id

Sig = tuple[Any, ...]
T = TypeVar("T")
#: Facts in canonical order: by (article, claim) — the first two fields of a fact.
BY_CLAIM = itemgetter(0, 1)
_BY_PLACE = attrgetter("start", "claim_id")


@dataclass(frozen=True)
class ArticleRef:
    """What an item shows about a supporting article."""

    article_id: str
    outlet: str
    title: str
    time: str
    url: str | None


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
        return bool(a.participants) and a.participants == b.participants and a.kind == b.kind
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


def partition(bucket: str, reps: Sequence[Fact], support: Sequence[frozenset[str]]) -> list[list[int]]:
    """Group signature representatives (one fact per signature) into items; indices, sorted.

    ``support[i]`` is the set of articles behind signature *i*. First, signatures that agree on
    who/what and state the same date, place and actor (or leave the same ones unstated) are
    grouped. Then a signature that leaves a value unstated joins the compatible group that
    states it with the most supporting articles — only when that group is the single best, so
    a vague mention never glues two different events together by chance of arrival.
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
        for i in range(n):
            for j in core[i]:
                if j > i and all(getattr(reps[i], a) == getattr(reps[j], a) for a in attrs):
                    union(i, j)
    first = [find(i) for i in range(n)]
    group_support: dict[int, set[str]] = defaultdict(set)
    for i in range(n):
        group_support[first[i]] |= support[i]
    joins: list[tuple[int, int]] = []
    for i in range(n):
        vague = [a for a in attrs if getattr(reps[i], a) is None]
        if not vague:
            continue
        candidates = {
            first[j]
            for j in (distinct if core is None else core[i])
            if first[j] != first[i]
            and all(_attr_ok(reps[i], reps[j], a) for a in attrs)
            and any(getattr(reps[j], a) is not None for a in vague)
        }
        if not candidates:
            continue
        ranked = sorted(candidates, key=lambda g: len(group_support[g]), reverse=True)
        if len(ranked) == 1 or len(group_support[ranked[0]]) > len(group_support[ranked[1]]):
            joins.append((i, ranked[0]))
    for i, g in joins:
        union(i, g)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        groups[find(i)].append(i)
    return sorted(groups.values())


def partitions_within_regions(bucket: str) -> bool:
    """Whether a region of the bucket can hold several items (stated dates, places, actors tell
    them apart); where nothing does, a region is one item (see :mod:`consumers.projector.regions`)."""
    return bool(_attrs(bucket))


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
    return va is None or vb is None or va == vb


# --------------------------------------------------------------------------------------------
# building an item


NameOf = Callable[[str], str]
ArticleOf = Callable[[str], ArticleRef | None]
FiguresOf = Callable[[str, int], Sequence[Fact]]


def _fmt_value(v: float | None) -> Any:
    if v is None:
        return None
    return int(v) if float(v).is_integer() else v


def _evidence(f: Fact) -> dict[str, Any]:
    lo = max(f.start - f.sentence_start, 0)
    hi = max(min(f.end - f.sentence_start, len(f.sentence)), lo)
    return {
        "claim_id": f.claim_id,
        "kind": f.claim_kind,
        "sentence": f.sentence,
        "start": f.start,
        "end": f.end,
        "sentence_start": f.sentence_start,
        "highlight": [lo, hi],
        "asserted_by": f.asserted_by,
        "asserted_entity": f.asserted_entity,
        "confidence": f.confidence,
    }


#: An item lists at most this many supporting articles: the first report and the latest ones.
#: The counts (``sources``, ``articles_total``) cover all of them; the log keeps every event.
#: Without the cap, an item of a story with thousands of articles outgrows a Kafka record.
MAX_LISTED_ARTICLES = 20
#: … at most this many "said by" entries per value of a conflict …
MAX_SAID_BY = 10
#: … and a party's latest stated positions, at most this many.
MAX_POSITIONS = 10


def bounded(rows: list[T], limit: int) -> list[T]:
    """The first row and the latest ``limit - 1`` of rows in time order."""
    return rows if len(rows) <= limit else rows[:1] + rows[-(limit - 1) :]


def _sources(facts: Iterable[Fact], article_of: ArticleOf) -> tuple[list[dict[str, Any]], int, set[str], list[str]]:
    """The listed supporting articles (bounded), how many there are, their outlets and times."""
    by_article: dict[str, list[Fact]] = defaultdict(list)
    for f in facts:
        by_article[f.article_id].append(f)
    outlets: set[str] = set()
    times: list[str] = []
    order: list[tuple[str, str]] = []
    for aid in by_article:
        ref = article_of(aid)
        if ref:
            times.append(ref.time)
            if ref.outlet:
                outlets.add(ref.outlet)
        order.append((ref.time if ref else "", aid))
    order.sort()
    rows: list[dict[str, Any]] = []
    for _time, aid in bounded(order, MAX_LISTED_ARTICLES):  # rows are built for the listed only
        ref = article_of(aid)
        rows.append(
            {
                "article_id": aid,
                "outlet": ref.outlet if ref else None,
                "title": ref.title if ref else None,
                "url": ref.url if ref else None,
                "time": ref.time if ref else None,
                "evidence": [_evidence(f) for f in sorted(by_article[aid], key=_BY_PLACE)],
            }
        )
    return rows, len(order), outlets, times


def _valued(
    facts: Iterable[Fact], article_of: ArticleOf, value_of: Callable[[Fact], Any], *, ordered: bool = False
) -> list[dict[str, Any]]:
    """Distinct values with who said what (the basis of conflicts).

    ``ordered``: the facts already come sorted by (article, claim), as :func:`build_item` has them.
    """
    return _valued_all(facts, article_of, {"": value_of}, ordered=ordered)[""]


def _valued_all(
    facts: Iterable[Fact], article_of: ArticleOf, getters: Mapping[str, Callable[[Fact], Any]], *, ordered: bool
) -> dict[str, list[dict[str, Any]]]:
    """:func:`_valued` for several attributes in one pass over the facts."""
    # attribute → value → (its row, who said it, from which outlets)
    per: dict[str, dict[Any, tuple[dict[str, Any], set[tuple[str, str | None, str]], set[str | None]]]] = {}
    for f in facts if ordered else sorted(facts, key=BY_CLAIM):
        entry: tuple[str, str | None, str] | None = None
        listed_outlet = False
        for name, value_of in getters.items():
            v = value_of(f)
            if v is None:
                continue
            if entry is None:
                ref = article_of(f.article_id)
                listed_outlet = ref is not None
                entry = (f.article_id, ref.outlet if ref else None, f.asserted_by)
            rows = per.get(name)
            if rows is None:
                rows = per[name] = {}
            tally = rows.get(v)
            if tally is None:
                tally = rows[v] = ({"value": v, "lower_bound": False, "said_by": []}, set(), set())
            row, said, outlets = tally
            if f.lower_bound:
                row["lower_bound"] = True
            if entry not in said:
                said.add(entry)
                if len(row["said_by"]) < MAX_SAID_BY:
                    row["said_by"].append({"article_id": entry[0], "outlet": entry[1], "asserted_by": entry[2]})
            if listed_outlet:
                outlets.add(entry[1])
    out: dict[str, list[dict[str, Any]]] = {}
    for name in getters:
        listed = []
        for row, said, outlets in per.get(name, {}).values():
            row["sources"] = len(outlets)
            row["said_by_total"] = len(said)
            listed.append(row)
        if len(listed) > 1:
            listed.sort(key=_most_said)
        out[name] = listed
    return out


def _most_said(row: Mapping[str, Any]) -> tuple[int, str]:
    return (-row["sources"], str(row["value"]))


def _status(facts: Sequence[Fact], article_of: ArticleOf) -> tuple[str | None, list[dict[str, Any]]]:
    """The furthest status reached, and when each status was first reported (the history)."""
    first: dict[str, tuple[str, str]] = {}
    for f in facts:
        if not f.status or f.status not in STATUS_RANK:
            continue
        ref = article_of(f.article_id)
        when = (ref.time if ref else "", f.article_id)
        if f.status not in first or when < first[f.status]:
            first[f.status] = when
    if not first:
        return None, []
    if len(first) == 1:  # most items: one status
        ((only, (t, a)),) = first.items()
        return only, [{"status": only, "first_seen": t or None, "article_id": a}]
    ordered = sorted(first.items(), key=lambda kv: (STATUS_RANK[kv[0]], kv[1][0], kv[0]))
    history: list[dict[str, Any]] = [{"status": s, "first_seen": t or None, "article_id": a} for s, (t, a) in ordered]
    top_rank = max(STATUS_RANK[s] for s in first)
    tops = sorted((first[s], s) for s in first if STATUS_RANK[s] == top_rank)
    # several final statuses (held vs cancelled): the most reported, then the latest
    counts = {s: sum(1 for f in facts if f.status == s) for _t, s in tops}
    status = max(tops, key=lambda ts: (counts[ts[1]], ts[0], ts[1]))[1]
    return status, history


def section_of(fact: Fact, status: str | None, lex: Lexicon) -> str:
    if fact.claim_kind == "count":
        return "violence" if fact.kind in lex.violence_counts else "figures"
    if fact.bucket.startswith("party:"):
        return "parties"
    if status == "threatened":
        return "pressure"
    pending, done = lex.sections.get(fact.kind, ("upcoming", "held"))
    if status == "proposed" and pending == "upcoming":
        return "proposals"
    return done if status in DONE_STATUSES else pending


#: The values an item shows, each with who said what: where it happened as reported (``venue``,
#: shown as the place), when, who acted, what about — and for counts, the figure.
_ITEM_VALUES: Mapping[str, Callable[[Fact], Any]] = {
    "place": attrgetter("venue"),
    "date": attrgetter("date"),
    "time_text": attrgetter("time_text"),
    "actor": attrgetter("actor"),
    "object": attrgetter("object_text"),
}
_ITEM_VALUES_COUNT: Mapping[str, Callable[[Fact], Any]] = {**_ITEM_VALUES, "value": lambda f: _fmt_value(f.value)}


def _head_signature(facts: Iterable[Fact]) -> Sig:
    sigs = {f.signature() for f in facts}
    return next(iter(sigs)) if len(sigs) == 1 else min(sigs, key=repr)


def item_id(bucket: str, facts: Iterable[Fact]) -> str:
    """An item's id: from its bucket and the first of its signatures, so the same facts always
    make the same id whatever the order they came in."""
    return id_of_head(bucket, _head_signature(facts))


def id_of_head(bucket: str, head: Sig) -> str:
    """The id of the item whose first signature (by ``repr``) is ``head``."""
    return stable_id("item", bucket, repr(head))


def build_item(
    bucket: str,
    facts: Sequence[Fact],
    *,
    lex: Lexicon,
    name_of: NameOf,
    article_of: ArticleOf,
    figures_of: FiguresOf,
) -> dict[str, Any]:
    """One item of the view from the facts merged into it (all sorted, so the result is canonical)."""
    facts = sorted(facts, key=BY_CLAIM)
    article_of = _remembered(article_of)
    head_sig = _head_signature(facts)
    head = next(f for f in facts if f.signature() == head_sig)  # the first by (article, claim)
    status, history = _status(facts, article_of)
    articles, articles_total, outlets, times = _sources(facts, article_of)
    # who: the participant set most articles give (others are listed as variants)
    sets: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for f in facts:
        sets[f.participants].add(f.article_id)
    ranked_sets = sorted(sets.items(), key=lambda kv: (-len(kv[1]), len(kv[0]), kv[0]))
    participants = list(ranked_sets[0][0]) if ranked_sets else []
    item: dict[str, Any] = {
        "id": id_of_head(bucket, head_sig),
        "bucket": bucket,
        "kind": head.kind,
        "section": section_of(head, status, lex),
        "status": status,
        "status_history": history,
        "participants": [{"id": p, "name": name_of(p)} for p in participants],
        "participant_variants": [[name_of(p) for p in ps] for ps, _a in ranked_sets[1:]],
        "sources": len(outlets),
        "outlets": sorted(outlets),
        "articles": articles,
        "articles_total": articles_total,
        "first_seen": min(times) if times else None,
        "last_seen": max(times) if times else None,
        "conflicts": [],
    }
    getters = _ITEM_VALUES_COUNT if head.claim_kind == "count" else _ITEM_VALUES
    valued = _valued_all(facts, article_of, getters, ordered=True)
    for key in ("place", "date", "time_text", "actor"):
        vals = valued[key]
        item[key] = vals[0]["value"] if vals else None
        if key in ("place", "date") and len(vals) > 1:
            item["conflicts"].append({"about": key, "values": vals})
    if item["place"]:
        item["place_name"] = name_of(item["place"])
    if item["actor"]:
        item["actor_name"] = name_of(item["actor"])
    objects = valued["object"]
    item["object"] = objects[0]["value"] if objects else None
    item["object_variants"] = [o["value"] for o in objects]
    if head.claim_kind == "count":
        values = valued["value"]
        item["value"] = values[0]["value"] if values else None
        item["values"] = values
        if len(values) > 1:
            item["conflicts"].append({"about": head.kind, "values": values})
    elif head.claim_kind == "event":
        figs: dict[str, Fact] = {}
        wanted = lex.figures.get(head.kind, frozenset())
        for f in facts:
            for g in figures_of(f.article_id, f.sentence_start):
                if g.claim_kind == "count" and g.kind in wanted:
                    figs[g.claim_id + "@" + g.article_id] = g
        by_cat: dict[str, list[Fact]] = defaultdict(list)
        for g in figs.values():
            by_cat[g.kind].append(g)
        item["figures"] = [
            {"category": cat, "values": _valued(gs, article_of, lambda f: _fmt_value(f.value))}
            for cat, gs in sorted(by_cat.items())
        ]
        for fig in item["figures"]:
            if len(fig["values"]) > 1:
                item["conflicts"].append({"about": fig["category"], "values": fig["values"]})
        item["value"] = item["figures"][0]["values"][0]["value"] if item["figures"] else None
        finals = {f.status for f in facts if f.status in DONE_STATUSES}
        if finals & {"cancelled", "rejected"} and finals - {"cancelled", "rejected"}:
            item["conflicts"].append(
                {
                    "about": "status",
                    "values": _valued(facts, article_of, lambda f: f.status if f.status in finals else None),
                }
            )
    elif bucket.startswith("party:"):
        _party(item, facts, article_of, name_of)
    item["label"] = label(item, name_of)
    return item


def _remembered(article_of: ArticleOf) -> ArticleOf:
    """``article_of`` asked once per article (an item asks for each of its facts' articles often)."""
    known: dict[str, ArticleRef | None] = {}

    def lookup(aid: str) -> ArticleRef | None:
        if aid not in known:
            known[aid] = article_of(aid)
        return known[aid]

    return lookup


def _party(item: dict[str, Any], facts: Sequence[Fact], article_of: ArticleOf, name_of: NameOf) -> None:
    speaker = facts[0].speaker or ""
    item["kind"] = "party"
    item["participants"] = [{"id": speaker, "name": name_of(speaker)}]
    quotes = [f for f in facts if f.kind == "quote"]
    titles = [f for f in facts if f.kind == "title"]
    roles = _valued(titles, article_of, lambda f: " ".join(f.object_key))
    item["titles"] = _valued(titles, article_of, lambda f: f.text)
    if len(roles) > 1:
        item["conflicts"].append({"about": "title", "values": item["titles"]})

    def when(f: Fact) -> str:
        ref = article_of(f.article_id)
        return ref.time if ref else ""

    positions = []
    latest = sorted(quotes, key=lambda q: (when(q), q.article_id, q.start), reverse=True)[:MAX_POSITIONS]
    for f in latest:
        ref = article_of(f.article_id)
        positions.append(
            {
                "text": f.text,
                "direct": f.status == "direct",
                "cue": f.time_text,
                "speaker_text": f.object_text,
                "article_id": f.article_id,
                "outlet": ref.outlet if ref else None,
                "time": ref.time if ref else None,
                "evidence": _evidence(f),
            }
        )
    item["positions"] = positions  # the latest statements first
    item["positions_total"] = len(quotes)
    item["status"] = None
    item["status_history"] = []
    item["time_text"] = None


def label(item: Mapping[str, Any], name_of: NameOf) -> str:
    """A short human label, e.g. ``Call: Donald Trump – Vladimir Putin (Monday)``."""
    names = " – ".join(p["name"] for p in item["participants"])
    kind = str(item["kind"]).replace("_", " ")
    if item["kind"] == "party":
        return names
    if item.get("values") is not None:  # a count
        where = f" in {item['place_name']}" if item.get("place_name") else ""
        return f"{kind}{where}: {item['value']}"
    text = f"{kind.capitalize()}"
    if item.get("object"):
        text += f": {item['object']}"
        if names:
            text += f" ({names})"
    elif names:
        text += f": {names}"
    if item.get("figures"):
        fig = item["figures"][0]
        text += f" — {fig['category'].replace('_', ' ')}: {fig['values'][0]['value']}"
    extras = [x for x in (item.get("place_name"), item.get("time_text")) if x]
    if extras:
        text += " — " + ", ".join(str(x) for x in extras)
    return text
