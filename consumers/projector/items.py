"""An item of the view from the facts merged into it, folded one fact at a time.

:class:`ItemBuilder` keeps an item's aggregates (its articles and outlets, when each status was
first reported, who said which value) and renders the item from them. Every aggregate is free of
order (sets, minima, rankings by explicit keys), so facts folded in any order, at once or a few at
a time, render the same item. That lets the view keep the builders of large items and fold in
only their new facts: an item that thousands of articles support is not refolded for each new one.
:func:`build_item` folds a whole item at once.

Pure: the lookups of articles, names and figures are passed in.
"""

from __future__ import annotations

import heapq
from bisect import insort
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import attrgetter
from typing import Any, TypeVar, final

from consumers.projector import datespan
from consumers.projector.facts import DONE_STATUSES, OBJECT_KINDS, STATUS_RANK, Fact, Lexicon
from consumers.projector.merge import BY_CLAIM, head_signature, id_of_head
from consumers.projector.records import ArticleRec

T = TypeVar("T")
_BY_PLACE = attrgetter("start", "claim_id")

#: An item lists at most this many supporting articles: the first report and the latest ones.
#: The counts (``sources``, ``articles_total``) cover all of them; the log keeps every event.
#: Without the cap, an item of a story with thousands of articles outgrows a Kafka record.
MAX_LISTED_ARTICLES = 20
#: … at most this many "said by" entries per value of a conflict …
MAX_SAID_BY = 10
#: … and a party's latest stated positions, at most this many.
MAX_POSITIONS = 10
#: How items are rendered. A checkpoint keeps the items it saw and a restart takes them back
#: instead of building them; one saved by another version of this module is built anew. Bump it
#: with any change to what an item holds (``tests/unit/test_projector_checkpoint_items.py`` pins a
#: rendering of the seeds to it and fails until you do).
RENDER_VERSION = 7


NameOf = Callable[[str], str]
ArticleOf = Callable[[str], ArticleRec | None]


def name_from_votes(votes: Mapping[str, int] | None, entity_id: str) -> str:
    """The name most articles give an entity (ties: shortest, then alphabetical); with none, its
    id made readable."""
    if votes:
        return min(votes.items(), key=_name_rank)[0]
    return entity_id.replace("-", " ").title()


def _name_rank(vote: tuple[str, int]) -> tuple[int, int, str]:
    return (-vote[1], len(vote[0]), vote[0])


@final
class Lookups:
    """What an item reads besides its facts: the names of entities, the articles, the counts said
    in a sentence. Made for one refresh from the view's tables (not the view itself: a builder the
    view keeps must not point back at it, a cycle only the collector could free), so each name
    is worked out once a refresh."""

    __slots__ = ("_articles", "_counts", "_names", "_votes", "lex")

    def __init__(
        self,
        lex: Lexicon,
        votes: Mapping[str, Mapping[str, int]],
        articles: Mapping[str, ArticleRec],
        counts: Mapping[tuple[str, int], Mapping[str, Fact]],
    ) -> None:
        self.lex = lex
        self._votes = votes
        self._articles = articles
        self._counts = counts
        self._names: dict[str, str] = {}

    def name_of(self, entity_id: str) -> str:
        name = self._names.get(entity_id)
        if name is None:
            name = self._names[entity_id] = name_from_votes(self._votes.get(entity_id), entity_id)
        return name

    def article_of(self, article_id: str) -> ArticleRec | None:
        return self._articles.get(article_id)

    def figures_of(self, article_id: str, sentence_start: int) -> Sequence[Fact]:
        """The counts said in one sentence of an article, by claim id."""
        found = self._counts.get((article_id, sentence_start))
        if not found:
            return ()
        return [found[k] for k in sorted(found)] if len(found) > 1 else list(found.values())


#: Who said a value: (article, its outlet, asserted by).
Entry = tuple[str, str | None, str]

#: The values an item shows, each with who said what: where it happened as reported (``venue``,
#: shown as the place), when, who acted, what about (name, field of a fact) — and for counts, the
#: figure (``value``).
_ITEM_VALUES: tuple[tuple[str, int], ...] = tuple(
    (name, Fact._fields.index(field))
    for name, field in (
        ("place", "venue"),
        ("date", "date"),
        ("time_text", "time_text"),
        ("actor", "actor"),
        ("object", "object_text"),
    )
)


def bounded(rows: list[T], limit: int) -> list[T]:
    """The first row and the latest ``limit - 1`` of rows in time order."""
    return rows if len(rows) <= limit else rows[:1] + rows[-(limit - 1) :]


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


def _evidence_of(facts: list[Fact]) -> list[dict[str, Any]]:
    """The evidence of an article's facts in an item, in the order they stand in the text."""
    if len(facts) == 1:
        return [_evidence(facts[0])]
    return [_evidence(f) for f in sorted(facts, key=_BY_PLACE)]


class _ValueRow:
    """One value: who said it (each with the first claim that did), from which outlets."""

    __slots__ = ("first", "lower_bound", "outlets", "said", "value")

    def __init__(self, value: Any, first: tuple[str, str]) -> None:
        self.value = value
        self.first = first
        self.lower_bound = False
        self.said: dict[Entry, tuple[str, str]] = {}
        self.outlets: set[str | None] = set()

    def render(self) -> dict[str, Any]:
        said = self.said
        if len(said) == 1:
            listed: Iterable[Entry] = said
        elif len(said) <= MAX_SAID_BY:
            listed = sorted(said, key=said.__getitem__)  # in claim order
        else:
            listed = heapq.nsmallest(MAX_SAID_BY, said, key=said.__getitem__)
        return {
            "value": self.value,
            "lower_bound": self.lower_bound,
            "said_by": [{"article_id": a, "outlet": o, "asserted_by": by} for a, o, by in listed],
            "sources": len(self.outlets),
            "said_by_total": len(said),
        }


class ValueTable:
    """Distinct values of one attribute with who said what (the basis of conflicts)."""

    __slots__ = ("rows",)

    def __init__(self) -> None:
        self.rows: dict[Any, _ValueRow] = {}

    def add(self, value: Any, f: Fact, ref: ArticleRec | None) -> None:
        key = (f.article_id, f.claim_id)
        row = self.rows.get(value)
        if row is None:
            row = self.rows[value] = _ValueRow(value, key)
        elif key < row.first:
            row.first = key
        if f.lower_bound:
            row.lower_bound = True
        entry = (f.article_id, ref.outlet if ref else None, f.asserted_by)
        known = row.said.get(entry)
        if known is None or key < known:
            row.said[entry] = key
        if ref is not None:
            row.outlets.add(ref.outlet)

    def ordered(self) -> list[_ValueRow]:
        """The rows, the most reported first (ties: by value, then by the first claim)."""
        rows = list(self.rows.values())
        if len(rows) > 1:
            rows.sort(key=_first_claim)
            rows.sort(key=_most_said)
        return rows

    def render(self) -> list[dict[str, Any]]:
        """The rows in :meth:`ordered` order, each with who said it."""
        return [row.render() for row in self.ordered()]

    def top(self) -> Any:
        """The value of the first row (what an item shows when it needs no conflict listed)."""
        if len(self.rows) == 1:
            for row in self.rows.values():
                return row.value
        return self.ordered()[0].value


def _render(table: ValueTable | None) -> list[dict[str, Any]]:
    return table.render() if table is not None else []


def _first_claim(row: _ValueRow) -> tuple[str, str]:
    return row.first


def _most_said(row: _ValueRow) -> tuple[int, str]:
    return (-len(row.outlets), str(row.value))


def figures(kind: str, said: Iterable[Fact], article_of: ArticleOf, lex: Lexicon) -> list[dict[str, Any]]:
    """The counts said beside an event of ``kind``, by category in the lexicon's order (the first,
    people killed before drones intercepted, names the item), each with its values."""
    wanted = lex.figures.get(kind, ())
    by_category: dict[str, list[Fact]] = {}
    for g in said:
        if g.kind in wanted and g.claim_kind == "count":
            at = by_category.get(g.kind)
            if at is None:
                by_category[g.kind] = [g]
            else:
                at.append(g)
    return [
        {"category": cat, "values": valued(by_category[cat], article_of, _count_value)}
        for cat in wanted
        if cat in by_category
    ]


def _count_value(f: Fact) -> Any:
    return _fmt_value(f.value)


def _put_figures(item: dict[str, Any], figs: list[dict[str, Any]]) -> None:
    """An event item's figures, their conflicts, and its value (the first figure's)."""
    item["figures"] = figs
    for fig in figs:
        if len(fig["values"]) > 1:
            item["conflicts"].append({"about": fig["category"], "values": fig["values"]})
    item["value"] = figs[0]["values"][0]["value"] if figs else None


def valued(facts: Iterable[Fact], article_of: ArticleOf, value_of: Callable[[Fact], Any]) -> list[dict[str, Any]]:
    """Distinct values of ``value_of`` over facts, with who said what."""
    table = ValueTable()
    for f in facts:
        v = value_of(f)
        if v is not None:
            table.add(v, f, article_of(f.article_id))
    return table.render()


_NO_QUOTES: list[Fact] = []  # (never added to: the quotes of a builder that is no party's)
_NO_TABLE = ValueTable()  # (likewise)


def section_of(fact: Fact, status: str | None, lex: Lexicon) -> str:
    if fact.claim_kind == "count":
        return "violence" if fact.kind in lex.violence_counts else "figures"
    if fact.bucket.startswith("party:"):
        return "parties"
    if status == "threatened":
        return "pressure"
    if fact.bucket == "proposals" and fact.kind in OBJECT_KINDS:
        return "proposals"  # (a deal proposed, then rejected, is a proposal rejected, no agreement)
    pending, done = lex.sections.get(fact.kind, ("upcoming", "held"))
    if status == "proposed" and pending == "upcoming":
        return "proposals"
    return done if status in DONE_STATUSES else pending


class ItemBuilder:
    """The aggregates of one item (:mod:`module doc <consumers.projector.items>`)."""

    __slots__ = (
        "_done",
        "_facts",
        "_figures",
        "_first",
        "_first_seen",
        "_last_seen",
        "_order",
        "_outlets",
        "_party",
        "_quotes",
        "_refs",
        "_roles",
        "_sets",
        "_status_count",
        "_status_first",
        "_titles",
        "_values",
        "bucket",
        "size",
    )

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket
        self._party = bucket.startswith("party:")
        self.size = 0  # facts folded in
        self._first: Fact | None = None  # by (article, claim)
        self._facts: dict[str, list[Fact]] = {}  # article → its facts here
        self._refs: dict[str, ArticleRec | None] = {}
        self._order: list[tuple[str, str]] = []  # (article time, article), sorted
        self._outlets: set[str] = set()
        self._first_seen: str | None = None
        self._last_seen: str | None = None
        self._status_first: dict[str, tuple[str, str]] = {}  # status → first (time, article)
        self._status_count: dict[str, int] = {}
        self._done: set[str] = set()
        self._sets: dict[tuple[str, ...], set[str]] = {}  # participant set → articles giving it
        self._values: dict[str, ValueTable] = {}
        self._figures: dict[str, Fact] = {}  # counts said in the same sentence as an event
        # a party's quotes by (article, claim), its titles as written ("Former U.S. President") and
        # the role words in them (a conflict when they differ); shared empty ones for the rest
        self._quotes: list[Fact] = [] if self._party else _NO_QUOTES
        self._titles = ValueTable() if self._party else _NO_TABLE
        self._roles = ValueTable() if self._party else _NO_TABLE

    def add_all(self, facts: Iterable[Fact], lookups: Lookups) -> ItemBuilder:
        for f in facts:
            self.add(f, lookups)
        return self

    def add(self, f: Fact, lookups: Lookups) -> None:
        """Fold one fact in (each fact once: a fact removed needs a new builder)."""
        self.size += 1
        aid = f.article_id
        if self._party:  # (a party's speaker is its first fact's)
            first = self._first
            if first is None or (aid, f.claim_id) < (first.article_id, first.claim_id):
                self._first = f
        facts = self._facts.get(aid)
        if facts is None:
            facts = self._facts[aid] = []
            ref = self._new_article(aid, lookups)
        else:
            ref = self._refs[aid]
        facts.append(f)
        status = f.status
        if status and status in STATUS_RANK:
            when = (ref.time if ref else "", aid)
            seen = self._status_first.get(status)
            if seen is None or when < seen:
                self._status_first[status] = when
            self._status_count[status] = self._status_count.get(status, 0) + 1
            if status in DONE_STATUSES:
                self._done.add(status)
        articles = self._sets.get(f.participants)
        if articles is None:
            articles = self._sets[f.participants] = set()
        articles.add(aid)
        values = self._values
        for name, field in _ITEM_VALUES:
            v = f[field]
            if v is not None:
                table = values.get(name)
                if table is None:
                    table = values[name] = ValueTable()
                table.add(v, f, ref)
        if f.claim_kind == "count" and f.value is not None:
            values.setdefault("value", ValueTable()).add(_fmt_value(f.value), f, ref)
        elif f.claim_kind == "event":
            for g in lookups.figures_of(aid, f.sentence_start):
                if g.claim_kind == "count":
                    self._figures[g.claim_id + "@" + g.article_id] = g
        elif self._party:
            if f.kind == "quote":
                insort(self._quotes, f, key=BY_CLAIM)
            elif f.kind == "title":
                if f.text is not None:
                    self._titles.add(f.text, f, ref)
                self._roles.add(" ".join(f.object_key), f, ref)

    def _new_article(self, aid: str, lookups: Lookups) -> ArticleRec | None:
        ref = self._refs[aid] = lookups.article_of(aid)
        insort(self._order, (ref.time if ref else "", aid))
        if ref is not None:
            if self._first_seen is None or ref.time < self._first_seen:
                self._first_seen = ref.time
            if self._last_seen is None or ref.time > self._last_seen:
                self._last_seen = ref.time
            if ref.outlet:
                self._outlets.add(ref.outlet)
        return ref

    def _ref(self, aid: str) -> ArticleRec | None:
        """The article behind a fact folded in (figures share the article of their event)."""
        return self._refs.get(aid)

    # ------------------------------------------------------------------------------- rendering
    def item(self, lookups: Lookups, head: Fact, item_id: str) -> dict[str, Any]:
        """The item as JSON-ready data (canonical: the same facts, the same item). ``head``: the
        first fact (by claim) of its first signature (by ``repr``), whose kind and section the
        item takes; ``item_id``: that signature's item id (:func:`merge.id_of_head`)."""
        if not self.size:
            raise ValueError("an item needs at least one fact")
        bucket, name_of = self.bucket, lookups.name_of
        status, history = self._status()
        # who: the participant set most articles give (others are listed as variants)
        ranked_sets = sorted(self._sets.items(), key=lambda kv: (-len(kv[1]), len(kv[0]), kv[0]))
        participants = list(ranked_sets[0][0]) if ranked_sets else []
        item: dict[str, Any] = {
            "id": item_id,
            "bucket": bucket,
            "kind": head.kind,
            "section": section_of(head, status, lookups.lex),
            "status": status,
            "status_history": history,
            "participants": [{"id": p, "name": name_of(p)} for p in participants],
            "participant_variants": [[name_of(p) for p in ps] for ps, _a in ranked_sets[1:]],
            "sources": len(self._outlets),
            "outlets": sorted(self._outlets),
            "articles": self._articles(),
            "articles_total": len(self._order),
            "first_seen": self._first_seen,
            "last_seen": self._last_seen,
            "conflicts": [],
        }
        tables = self._values
        for key in ("place", "date", "time_text", "actor"):
            table = tables.get(key)
            if table is None or len(table.rows) == 1 or key not in ("place", "date"):
                item[key] = table.top() if table is not None else None  # (no conflict to list)
                continue
            vals = table.render()
            if key == "date":  # a week that holds the day others state does not contradict it
                vals = [v for v in vals if not any(datespan.within(w["value"], v["value"]) for w in vals)]
            item[key] = vals[0]["value"] if vals else None
            if len(vals) > 1:
                item["conflicts"].append({"about": key, "values": vals})
        if item["place"]:
            item["place_name"] = name_of(item["place"])
        if item["actor"]:
            item["actor_name"] = name_of(item["actor"])
        objects = tables.get("object")
        variants = [row.value for row in objects.ordered()] if objects is not None else []
        item["object"] = variants[0] if variants else None
        item["object_variants"] = variants
        if head.claim_kind == "count":
            values = _render(tables.get("value"))
            item["value"] = values[0]["value"] if values else None
            item["values"] = values
            if len(values) > 1:
                item["conflicts"].append({"about": head.kind, "values": values})
        elif head.claim_kind == "event":
            if self._figures or len(self._done) > 1:
                self._event_figures(item, head, lookups.lex)
            else:  # (most events: no count said beside them, one final status at most)
                item["figures"] = []
                item["value"] = None
        elif self._party:
            self._party_positions(item, self._first or head, name_of)
        item["label"] = label(item, name_of)
        return item

    def _articles(self) -> list[dict[str, Any]]:
        """The listed supporting articles (the first and the latest), each with its evidence."""
        rows: list[dict[str, Any]] = []
        for _time, aid in bounded(self._order, MAX_LISTED_ARTICLES):
            ref = self._refs[aid]
            rows.append(
                {
                    "article_id": aid,
                    "outlet": ref.outlet if ref else None,
                    "title": ref.title if ref else None,
                    "url": ref.url if ref else None,
                    "time": ref.time if ref else None,
                    "evidence": _evidence_of(self._facts[aid]),
                }
            )
        return rows

    def _status(self) -> tuple[str | None, list[dict[str, Any]]]:
        """The furthest status reached, and when each status was first reported (the history)."""
        first = self._status_first
        if not first:
            return None, []
        if len(first) == 1:  # most items: one status
            ((only, (t, a)),) = first.items()
            return only, [{"status": only, "first_seen": t or None, "article_id": a}]
        ordered = sorted(first.items(), key=lambda kv: (STATUS_RANK[kv[0]], kv[1][0], kv[0]))
        history = [{"status": s, "first_seen": t or None, "article_id": a} for s, (t, a) in ordered]
        top_rank = max(STATUS_RANK[s] for s in first)
        tops = sorted((first[s], s) for s in first if STATUS_RANK[s] == top_rank)
        # several final statuses (held vs cancelled): the most reported, then the latest
        counts = self._status_count
        status = max(tops, key=lambda ts: (counts.get(ts[1], 0), ts[0], ts[1]))[1]
        return status, history

    def _event_figures(self, item: dict[str, Any], head: Fact, lex: Lexicon) -> None:
        """Counts said in the sentences that report the event (people killed in a strike, …), in
        the lexicon's order: the first (people killed before drones intercepted) names the item."""
        _put_figures(item, figures(head.kind, self._figures.values(), self._ref, lex))
        finals = self._done
        if finals & {"cancelled", "rejected"} and finals - {"cancelled", "rejected"}:
            facts = [f for fs in self._facts.values() for f in fs]
            said = valued(facts, self._ref, lambda f: f.status if f.status in finals else None)
            item["conflicts"].append({"about": "status", "values": said})

    def _party_positions(self, item: dict[str, Any], first: Fact, name_of: NameOf) -> None:
        """A party: its titles (a conflict when sources disagree) and its latest statements."""
        speaker = first.speaker or ""
        item["kind"] = "party"
        item["participants"] = [{"id": speaker, "name": name_of(speaker)}]
        item["titles"] = self._titles.render()
        if len(self._roles.rows) > 1:
            item["conflicts"].append({"about": "title", "values": item["titles"]})

        def when(f: Fact) -> tuple[str, str, int]:
            ref = self._refs[f.article_id]
            return (ref.time if ref else "", f.article_id, f.start)

        positions = []
        # the quotes are in claim order, so ties rank as a stable sort would rank them
        for f in heapq.nlargest(MAX_POSITIONS, self._quotes, key=when):
            ref = self._refs[f.article_id]
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
        item["positions_total"] = len(self._quotes)
        item["status"] = None
        item["status_history"] = []
        item["time_text"] = None


def build_item(bucket: str, facts: Iterable[Fact], lookups: Lookups) -> dict[str, Any]:
    """One item of the view from all the facts merged into it."""
    facts = list(facts)
    head_sig = head_signature(facts)
    head = min((f for f in facts if f.signature() == head_sig), key=BY_CLAIM)
    return ItemBuilder(bucket).add_all(facts, lookups).item(lookups, head, id_of_head(bucket, head_sig))


def build_one(bucket: str, f: Fact, item_id: str, lookups: Lookups) -> dict[str, Any] | None:
    """The item of a single fact, rendered straight from it: what :class:`ItemBuilder` renders
    of it, without the aggregates (most items of a busy view hold one report). None for a party
    (only the builder renders one)."""
    if bucket.startswith("party:"):
        return None
    aid = f.article_id
    ref = lookups.article_of(aid)
    seen = ref.time if ref is not None else None
    outlet = ref.outlet if ref is not None else None
    status = f.status if f.status and f.status in STATUS_RANK else None
    name_of = lookups.name_of
    item: dict[str, Any] = {
        "id": item_id,
        "bucket": bucket,
        "kind": f.kind,
        "section": section_of(f, status, lookups.lex),
        "status": status,
        "status_history": [] if status is None else [{"status": status, "first_seen": seen or None, "article_id": aid}],
        "participants": [{"id": p, "name": name_of(p)} for p in f.participants],
        "participant_variants": [],
        "sources": 1 if outlet else 0,
        "outlets": [outlet] if outlet else [],
        "articles": [
            {
                "article_id": aid,
                "outlet": outlet,
                "title": ref.title if ref is not None else None,
                "url": ref.url if ref is not None else None,
                "time": seen,
                "evidence": [_evidence(f)],
            }
        ],
        "articles_total": 1,
        "first_seen": seen,
        "last_seen": seen,
        "conflicts": [],
        "place": f.venue,
        "date": f.date,
        "time_text": f.time_text,
        "actor": f.actor,
    }
    if f.venue:
        item["place_name"] = name_of(f.venue)
    if f.actor:
        item["actor_name"] = name_of(f.actor)
    item["object"] = f.object_text
    item["object_variants"] = [f.object_text] if f.object_text is not None else []
    if f.claim_kind == "count":
        value = _fmt_value(f.value)
        item["value"] = value
        item["values"] = (
            []
            if value is None
            else [
                {
                    "value": value,
                    "lower_bound": f.lower_bound,
                    "said_by": [{"article_id": aid, "outlet": outlet, "asserted_by": f.asserted_by}],
                    "sources": 1 if ref is not None else 0,
                    "said_by_total": 1,
                }
            ]
        )
    elif f.claim_kind == "event":
        said = lookups.figures_of(aid, f.sentence_start)
        _put_figures(item, figures(f.kind, said, lookups.article_of, lookups.lex) if said else [])
    item["label"] = label(item, name_of)
    return item


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
