"""The live view of the talks: a pure, deterministic projection of the three streams.

``apply(view, event) -> view`` folds one article, entities or claims event into the view; events
already applied are dropped by id. For each article the view keeps one winning event per stream
(the latest by event time, then id), so a newer revision or extractor version replaces the older
one whatever order they arrive in. Items are (re)built lazily per *bucket* from the set of facts
in it (:mod:`consumers.projector.merge`), so the view is a function of the set of events applied,
not of their order. Within a bucket, facts that could ever share an item form a *region*
(:mod:`consumers.projector.regions`); :meth:`TalksView.refresh` rebuilds the items of the regions
touched since the last call and returns the item changes, so its cost follows what changed, not
the size of the view. :meth:`TalksView.state` renders the whole view.

No Kafka, HTTP, clock or environment here: the service drives it.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from sys import intern
from typing import Any, NamedTuple, cast

import orjson

from consumers.projector import items, merge
from consumers.projector.facts import (
    FACTS_VERSION,
    Fact,
    Lexicon,
    facts_from_claims,
    lexicon,
    object_tokens,
    signature_of,
    titles_from_mentions,
)
from consumers.projector.ranking import SectionRanking
from consumers.projector.records import ArticleRec, EntityRec
from consumers.projector.regions import Region, RegionIndex, region_key
from consumers.projector.rows import Parts, Section, TrackedDict
from consumers.projector.seen import SeenEvents
from consumers.projector.siggroup import MatchKey, Sig, SigGroup
from consumers.projector.stories import StoryIndex
from consumers.projector.story_digest import StoryArticle, StoryDigest
from consumers.projector.window import ViewWindow, event_epoch
from newswire import events
from newswire.events import Envelope
from newswire.ids import stable_id

SECTIONS: tuple[str, ...] = (
    "upcoming",
    "held",
    "agreements",
    "proposals",
    "pressure",
    "violence",
    "ceasefire",
    "parties",
    "stories",
    "figures",
)
CEASEFIRE_ID = "ceasefire-status"
#: An item as a refresh passes it on: built anew (a dict), or kept as it was (its JSON).
Built = dict[str, Any] | bytes
ACCEPTED_TYPES = (events.ARTICLE_INGESTED, events.ENTITIES_EXTRACTED, events.CLAIMS_EXTRACTED)
#: Entity types whose names the story detector compares.
STORY_ENTITY_TYPES = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC"})
MAX_PERSON_MENTIONS = 50
#: Items built from at least this many facts keep their builder (memory for speed: see _grown).
KEEP_BUILDER_FACTS = 32


def _in_story(rec: ArticleRec) -> StoryArticle:
    return StoryArticle(rec.article_id, rec.outlet, rec.title, rec.url, rec.time)


class Change(NamedTuple):
    """One item of the view changed (what ``newswire.talks.item.changed`` carries). A named
    tuple, not a dataclass: a refresh makes one per item it builds, and making a frozen
    dataclass had cost a fifth of swapping the item in (callgrind)."""

    item_id: str
    section: str
    change: str  # created | updated | removed
    item: Mapping[str, Any] | None
    json: bytes | None = None  # the item as the view keeps it (``orjson.dumps(item)``), when known


Rank = tuple[str, str, str]  # (event time, extractor/revision, event id): larger wins


class TalksView:
    """The materialized view. Mutable for speed; owned by one caller (the projector loop)."""

    def __init__(
        self, lex: Lexicon | None = None, window: ViewWindow | None = None, keep_builders: int = KEEP_BUILDER_FACTS
    ) -> None:
        self.lex = lex or lexicon()
        self.keep_builders = keep_builders  # items of at least this many facts keep their builder
        self.window = window or ViewWindow()  # how far back the view reaches (see window.py)
        self.evicted = 0  # articles forgotten because the window moved past them
        self.seen = SeenEvents()  # ids of the events taken in (forgotten with the window)
        self.applied = 0
        self.late = 0  # events older than the ids the view forgot: ignored (see seen.py)
        # the source state (what a checkpoint writes: the keys set or deleted since the last one)
        self.articles: TrackedDict[ArticleRec] = TrackedDict()
        self.entities: TrackedDict[tuple[Rank, tuple[EntityRec, ...]]] = TrackedDict()
        self.claims: TrackedDict[tuple[Rank, tuple[Fact, ...]]] = TrackedDict()
        # derived state (rebuilt from the above on load)
        self._titles: dict[str, tuple[Fact, ...]] = {}
        self._buckets: dict[str, dict[Sig, SigGroup]] = {}  # bucket → signature → its group
        self._key_counts: dict[str, dict[MatchKey, int]] = {}  # bucket → match key → its groups
        self._regions: dict[str, RegionIndex] = {}
        self._entity_buckets: dict[str, set[str]] = defaultdict(set)
        self._sentence_counts: dict[tuple[str, int], dict[str, Fact]] = defaultdict(dict)
        self._names: dict[str, Counter[str]] = defaultdict(Counter)
        self._stories = StoryIndex()
        self._touched: list[SigGroup] = []  # groups touched since the last refresh (see SigGroup)
        self._dirty: set[tuple[str, MatchKey]] = set()  # (bucket, key): its region is rebuilt too
        self._dirty_buckets: set[str] = set()  # every region of these is rebuilt
        self._stale: set[str] = set()  # a key went away: regions are recomputed, then rebuilt
        self._ceasefire_dirty = False
        self._story_dirty: set[str] = set()  # articles whose story item must be rebuilt
        self._story_digests: dict[str, StoryDigest] = {}  # story id → what its item shows
        self._stories_gone: set[str] = set()  # stories merged into another since the last refresh
        self._stories_redone = False  # the story index was rebuilt since the last refresh
        self._entity_articles: dict[str, set[str]] = defaultdict(set)  # entity → articles naming it
        self._story_entities: dict[str, frozenset[str]] = {}  # article → the entities stories compare
        # each item as its JSON: a third of the memory of the nested dicts and lists it renders
        # to (which were half of the view's), and the API sends it as it is (orjson.Fragment)
        self._items: TrackedDict[bytes] = TrackedDict()  # (a checkpoint saves them: see _adopt)
        self._fresh = True  # refreshed since the last event: its items are those of its facts
        self._ranking = SectionRanking()  # each section's items in page order (see _swap)
        self._bucket_items: dict[str, set[str]] = {}
        # what lets a refresh skip work whose inputs did not change (see _reusable, _grown)
        self._region_changes: dict[str, dict[Region, list[SigGroup]]] = {}  # touched groups by region
        # large items: their builders (folded further), and the groups folded into them
        self._builders: dict[str, tuple[items.ItemBuilder, set[SigGroup]]] = {}
        self._built_from: dict[str, tuple[SigGroup, ...]] = {}  # item id → the groups it was built from
        self._about_ceasefire: set[str] = set()  # agreements and proposals whose object is one
        self._ceasefire_agreed: set[str] = set()  # … of those, the ones reported agreed or held
        self._evicted_to: float | None = None  # the window's cutoff when the view last forgot
        self._index_evicted_to: float | None = None  # … and the story index's (see _evict)
        self._filling = False  # restoring a checkpoint: buckets are rebuilt whole, nothing touched
        self.built = 0  # items rendered from their facts (not taken back from a checkpoint or kept)

    # ------------------------------------------------------------------------------- applying
    def apply(self, env: Envelope) -> TalksView:
        """Fold one event in (duplicates by id are ignored). Returns the view itself."""
        if env.id in self.seen:
            return self
        self._fresh = False
        epoch = None  # (without a window, ids are never forgotten: they need no time)
        if self.window.enabled and env.type in ACCEPTED_TYPES:
            epoch = event_epoch(env.time)
            if self.seen.too_old(epoch):
                self.late += 1  # older than anything the view holds, and its id may be forgotten
                return self
            self.window.see(epoch)  # (its time may move the window forward)
            if not self.window.keeps(epoch):
                # too old to keep, but maybe not for the story index, which forgets later (see _evict)
                if self.window.indexes(epoch):
                    if env.type == events.ARTICLE_INGESTED:
                        self._index_story_text(env)
                    elif env.type == events.ENTITIES_EXTRACTED:
                        recs = tuple(_entity_rec(e) for e in env.data.get("entities") or ())
                        self._index_story_entities(env, recs)
                self.seen.add(env.id, epoch)  # counted as applied: the view is a function of the events seen
                self.applied += 1
                return self
        if env.type == events.ARTICLE_INGESTED:
            self._apply_article(env)
        elif env.type == events.ENTITIES_EXTRACTED:
            self._apply_entities(env)
        elif env.type == events.CLAIMS_EXTRACTED:
            self._apply_claims(env)
        else:
            raise ValueError(f"the projector does not take {env.type!r} events")
        self.seen.add(env.id, epoch)
        self.applied += 1
        return self

    def _apply_article(self, env: Envelope) -> None:
        d = env.data
        aid = str(d["article_id"])
        rec = ArticleRec(
            article_id=aid,
            revision=str(d["revision"]),
            event_id=env.id,
            time=env.time,
            outlet=intern(str(d["outlet"])),
            title=str(d["title"]),
            url=d.get("url"),
            published=d.get("published"),
            body=str(d["body"]),
        )
        self._index_story_text(env)
        old = self.articles.get(aid)
        if old is not None and (old.time, old.event_id) >= (rec.time, rec.event_id):
            return
        self.articles[aid] = rec
        self._story_digest(aid).add_article(_in_story(rec))
        self._story_dirty.add(aid)
        self._touch_facts(self.claims.get(aid, ((), ()))[1])
        self._touch_facts(self._titles.get(aid, ()))
        self._refresh_titles(aid)

    def _apply_entities(self, env: Envelope) -> None:
        d = env.data
        aid = str(d["article_id"])
        rank: Rank = (env.time, str(d.get("extractor", "")), env.id)
        recs = tuple(_entity_rec(e) for e in d.get("entities") or ())
        self._index_story_entities(env, recs)
        old = self.entities.get(aid)
        if old is not None and old[0] >= rank:
            return
        self.entities[aid] = (rank, recs)
        self._index_entities(aid, old[1] if old else (), recs)
        self._refresh_titles(aid)

    def _index_story_text(self, env: Envelope) -> None:
        d = env.data
        self._stories.add_text(str(d["article_id"]), str(d["revision"]), str(d["body"]), event_epoch(env.time))
        self._merge_story_digests()

    def _index_story_entities(self, env: Envelope, recs: Sequence[EntityRec]) -> None:
        aid = str(env.data["article_id"])
        named = (e.id for e in recs if e.type in STORY_ENTITY_TYPES)
        self._stories.add_entities(aid, env.id, named, event_epoch(env.time))
        self._merge_story_digests()

    def _story_digest(self, aid: str) -> StoryDigest:
        root = self._stories.story_of(aid)
        digest = self._story_digests.get(root)
        if digest is None:
            digest = self._story_digests[root] = StoryDigest()
        return digest

    def _merge_story_digests(self) -> None:
        """Stories the index just merged: their digests too (the smaller into the larger)."""
        for absorbed, joined in self._stories.take_merged():
            self._stories_gone.add(absorbed)
            taken = self._story_digests.pop(absorbed, None)
            kept = self._story_digests.get(joined)
            if taken is None:
                continue
            if kept is None:
                self._story_digests[joined] = taken
            elif len(taken) > len(kept):
                taken.absorb(kept)
                self._story_digests[joined] = taken
            else:
                kept.absorb(taken)

    def _apply_claims(self, env: Envelope) -> None:
        d = events.parsed_data(env)  # (read once, here: its facts keep none of it)
        aid = str(d["article_id"])
        rank: Rank = (env.time, str(d.get("extractor", "")), env.id)
        old = self.claims.get(aid)
        if old is not None and old[0] >= rank:
            return
        facts = tuple(facts_from_claims(aid, d.get("claims") or (), self.lex))
        self._replace_facts(aid, old[1] if old else (), facts)
        self.claims[aid] = (rank, facts)

    def _refresh_titles(self, aid: str) -> None:
        art = self.articles.get(aid)
        ents = self.entities.get(aid)
        if art is None or ents is None:  # (one of them was forgotten: see _evict)
            gone = self._titles.pop(aid, ())
            if gone:
                self._replace_facts(aid, gone, ())
            return
        new = tuple(titles_from_mentions(aid, art.body, [e.as_mapping() for e in ents[1]], self.lex))
        old = self._titles.get(aid, ())
        if new != old:
            self._replace_facts(aid, old, new)
            self._titles[aid] = new

    def _replace_facts(self, aid: str, old: Iterable[Fact], new: Iterable[Fact]) -> None:
        emptied: list[SigGroup] = []
        for f in old:
            g = self._group_of(f)
            if g is not None:
                g.facts.pop((f.article_id, f.claim_id), None)
                if not g.facts:
                    emptied.append(g)
                self._touch(g)
            if f.claim_kind == "count":
                same = self._sentence_counts.get((aid, f.sentence_start))
                if same is not None:
                    same.pop(f.claim_id, None)
                    if not same:
                        del self._sentence_counts[(aid, f.sentence_start)]
        buckets = self._buckets
        for f in new:
            bucket = f.bucket
            groups = buckets.get(bucket)
            if groups is None:
                groups = buckets[bucket] = {}
            sig = signature_of(f)
            g = groups.get(sig)
            if g is None:
                g = groups[sig] = self._new_group(bucket, sig)
            fid = (f.article_id, f.claim_id)
            facts = g.facts
            if fid in facts:  # given again: what was built from the one it replaces is spoiled
                self._touch(g)
            facts[fid] = f
            if f.claim_kind == "count":
                self._sentence_counts[(aid, f.sentence_start)][f.claim_id] = f
            self._touch(g, f)
        for g in emptied:  # after the new facts, which may have refilled the signature
            groups = buckets[g.bucket]
            if g.facts or groups.get(g.sig) is not g:
                continue
            del groups[g.sig]
            counts = self._key_counts[g.bucket]
            left = counts[g.key] - 1
            if left:
                counts[g.key] = left
                regions = self._regions.get(g.bucket)
                if regions is not None:
                    regions.remove_group(g)
            else:
                del counts[g.key]
                self._stale.add(g.bucket)  # its regions are rebuilt (they may split)

    def _new_group(self, bucket: str, sig: Sig) -> SigGroup:
        """A signature new to its bucket: counted under its key, placed in its region, and
        noted under the entities it names (whose renaming rebuilds the bucket)."""
        g = SigGroup(bucket, sig)
        counts = self._key_counts.get(bucket)
        if counts is None:
            counts = self._key_counts[bucket] = {}
        counts[g.key] = counts.get(g.key, 0) + 1
        regions = self._regions.get(bucket)
        if regions is not None:
            regions.add_group(g)
        # (the signature holds the participants, place, actor and speaker of its facts)
        entity_buckets = self._entity_buckets
        for e in sig[1]:
            entity_buckets[e].add(bucket)
        for named in (sig[3], sig[4], sig[6]):
            if named:
                entity_buckets[named].add(bucket)
        return g

    def _group_of(self, f: Fact) -> SigGroup | None:
        groups = self._buckets.get(f.bucket)
        return None if groups is None else groups.get(signature_of(f))

    def _touch_facts(self, facts: Iterable[Fact]) -> None:
        """The article behind these facts changed: their items are rebuilt."""
        for f in facts:
            g = self._group_of(f)
            if g is not None:
                self._touch(g)

    def _touch(self, g: SigGroup, added: Fact | None = None) -> None:
        """The item(s) built from ``g``'s region must be rebuilt at the next refresh (``added``:
        a fact new to it; otherwise one went away, was given again or its article changed)."""
        if self._filling:
            return
        if g.deals or g.negated:
            self._ceasefire_dirty = True
            if g.negated:
                return
        g.forget_summary()
        if not g.touched:
            g.touched = True
            self._touched.append(g)
        if added is None:
            g.spoiled = True
        elif g.added is None:
            g.added = [added]
        else:
            g.added.append(added)

    def _index_entities(self, aid: str, old: Sequence[EntityRec], new: Sequence[EntityRec]) -> None:
        """An article's entities replaced: its story, the names, who names what."""
        self._story_dirty.add(aid)
        for e in old:
            self._entity_articles[e.id].discard(aid)
        named = frozenset(e.id for e in new if e.type in STORY_ENTITY_TYPES)
        digest = self._story_digest(aid)
        digest.remove_entities(self._story_entities.get(aid, ()))
        digest.add_entities(named)
        self._story_entities[aid] = named
        for eid in named:
            self._entity_articles[eid].add(aid)
        self._rename(old, new)

    def _rename(self, old: Iterable[EntityRec], new: Iterable[EntityRec]) -> None:
        touched: set[str] = set()
        before: dict[str, str] = {}
        for e in old:
            before.setdefault(e.id, self.name_of(e.id))
            self._names[e.id][e.name] -= 1
            if self._names[e.id][e.name] <= 0:
                del self._names[e.id][e.name]
            touched.add(e.id)
        for e in new:
            before.setdefault(e.id, self.name_of(e.id))
            self._names[e.id][e.name] += 1
            touched.add(e.id)
        for eid in touched:
            if self.name_of(eid) != before[eid]:
                self._dirty_buckets |= self._entity_buckets.get(eid, set())
                self._story_dirty |= self._entity_articles.get(eid, set())

    # ------------------------------------------------------------------------------- reading
    def name_of(self, entity_id: str) -> str:
        """The name most articles give an entity (ties: shortest, then alphabetical)."""
        return items.name_from_votes(self._names.get(entity_id), entity_id)

    def _article_ref(self, aid: str) -> ArticleRec | None:
        return self.articles.get(aid)

    def refresh(self) -> list[Change]:
        """Rebuild the items of the regions touched since the last refresh; the changes, sorted."""
        changes: list[Change] = []
        self._evict()
        touched, self._touched = self._touched, []
        try:
            changes.extend(self._refresh_buckets(touched))
        finally:
            for g in touched:  # (also when a build failed: the groups must be touched again to count)
                g.settled()
            self._region_changes = {}
        changes.extend(self._refresh_stories())
        # the status exists as soon as anything was applied (not "once a bucket was touched": a
        # revision can empty the only bucket, and the view must not depend on that history)
        if self._ceasefire_dirty or (self.applied and CEASEFIRE_ID not in self._items):
            self._ceasefire_dirty = False
            changes.extend(
                self._swap("ceasefire", {CEASEFIRE_ID} & self._items.keys(), {CEASEFIRE_ID: self._ceasefire()})
            )
        self._ranking.flush()  # (the changed items placed in their sections at once)
        self._fresh = True
        return changes

    def _refresh_buckets(self, touched: list[SigGroup]) -> list[Change]:
        """The items of the regions that hold a touched group (or a dirty key), or of every
        region of a bucket whose entities were renamed or whose regions must be recomputed."""
        changes: list[Change] = []
        dirty, self._dirty = self._dirty, set()
        # buckets whose every region is gone through: names changed (every item is built anew),
        # or a key went away (regions are recomputed; the items of those that did not change are
        # reused: the window forgets old keys every hour, and a view must not rebuild whole then)
        renamed, self._dirty_buckets = self._dirty_buckets, set()
        whole = renamed | self._stale
        for bucket in sorted(b for b in self._stale if not b.startswith("negated:")):
            self._regions[bucket] = RegionIndex.rebuilt(bucket, self._buckets.get(bucket, {}).values())
        self._stale = set()
        roots: dict[str, set[Region]] = defaultdict(set)
        # what changed in each region, where a region is one item (see _reusable, _grown_region)
        by_region: dict[str, dict[Region, list[SigGroup]]] = {}
        for g in touched:
            bucket = g.bucket
            regions = self._region_index(bucket)
            root = regions.region_of(g.key)
            if root is None:
                continue  # (its key went away with it)
            if bucket not in whole:
                roots[bucket].add(root)
            if not merge.partitions_within_regions(bucket):
                changed = by_region.get(bucket)
                if changed is None:
                    changed = by_region[bucket] = {}
                at = changed.get(root)
                if at is None:
                    changed[root] = [g]
                else:
                    at.append(g)
        self._region_changes = by_region
        for bucket, key in dirty:
            if bucket in whole:
                continue
            regions = self._region_index(bucket)
            if key in regions:
                roots[bucket].add(regions.find(key))
        for bucket in whole:
            if not bucket.startswith("negated:"):
                roots[bucket] = set(self._region_index(bucket).roots())
        lookups = self._lookups()
        for bucket in sorted(roots):
            regions = self._regions[bucket]
            if bucket in whole:
                reuse = bucket not in renamed
                built = {
                    root: self._build_region(bucket, root, lookups, reuse)
                    for root in sorted(roots[bucket], key=region_key)
                }
                changes.extend(self._swap(bucket, self._bucket_items.get(bucket, set()), _merged(built.values())))
                for root, items in built.items():
                    regions.set_items(root, items)
                continue
            for root in sorted(roots[bucket], key=region_key):
                items = self._build_region(bucket, root, lookups)
                changes.extend(self._swap(bucket, regions.items(root), items))
                regions.set_items(root, items)
        return changes

    def _evict(self) -> None:
        """Forget what the window moved past: claims, entities and articles older than its cutoff,
        as if they had never been applied. The story index forgets in coarser steps (it is
        rebuilt then: see window.py), so a story may still be linked through an article the view
        no longer holds; it lists only the articles the view holds, and goes when it holds none."""
        cutoff = self.window.cutoff
        if cutoff is None or (self._evicted_to is not None and cutoff <= self._evicted_to):
            return
        self._evicted_to = cutoff
        keeps = self.window.keeps
        for aid, (rank, facts) in list(self.claims.items()):
            if not keeps(event_epoch(rank[0])):
                del self.claims[aid]
                self._replace_facts(aid, facts, ())
        old_entities = [aid for aid, (rank, _recs) in self.entities.items() if not keeps(event_epoch(rank[0]))]
        for aid in old_entities:
            _rank, recs = self.entities.pop(aid)
            self._index_entities(aid, recs, ())  # (its story no longer counts its entities)
            self._story_entities.pop(aid, None)
        old_articles = [aid for aid, rec in self.articles.items() if not keeps(event_epoch(rec.time))]
        for aid in old_articles:
            del self.articles[aid]
            self._story_digest(aid).remove_article(aid)
            self._touch_facts(self.claims.get(aid, ((), ()))[1])  # kept claims lose their article's details
        for aid in sorted({*old_entities, *old_articles}):
            self._refresh_titles(aid)
        self.evicted += len(old_articles)
        self._story_dirty.update(old_articles, old_entities)
        index_cutoff = self.window.index_cutoff
        if index_cutoff is not None and (self._index_evicted_to is None or index_cutoff > self._index_evicted_to):
            self._index_evicted_to = index_cutoff
            self._forget_old_sketches(index_cutoff)
            self.seen.forget_before(index_cutoff)

    def _forget_old_sketches(self, cutoff: float) -> None:
        """The story index without the sketches older than its cutoff, and every story anew
        (stories may split: an article that linked two may be gone)."""
        linked = {*self.articles, *self._story_entities}
        self._stories = self._stories.since(cutoff, linked)
        self._stories.take_merged()
        self._story_digests = {}
        for rec in self.articles.values():
            self._story_digest(rec.article_id).add_article(_in_story(rec))
        for aid, named in self._story_entities.items():
            self._story_digest(aid).add_entities(named)
        self._story_dirty |= linked
        self._stories_redone = True

    def _region_index(self, bucket: str) -> RegionIndex:
        regions = self._regions.get(bucket)
        if regions is None:
            regions = self._regions[bucket] = RegionIndex.rebuilt(bucket, self._buckets.get(bucket, {}).values())
        return regions

    def _swap(self, bucket: str, old_ids: set[str], new_items: Mapping[str, Built]) -> list[Change]:
        """Replace items ``old_ids`` of ``bucket`` by ``new_items`` (built, or kept as they were:
        their JSON); the changes."""
        out: list[Change] = []
        listed = self._bucket_items.setdefault(bucket, set())
        for item_id in sorted(old_ids - set(new_items)):
            self._items.pop(item_id, None)
            section = self._ranking.section_of(item_id)
            self._ranking.remove(item_id)
            self._built_from.pop(item_id, None)
            self._builders.pop(item_id, None)
            self._about_ceasefire.discard(item_id)
            self._ceasefire_agreed.discard(item_id)
            listed.discard(item_id)
            out.append(Change(item_id, section or "", "removed", None))
        for item_id in sorted(new_items):
            built = new_items[item_id]
            listed.add(item_id)
            before = self._items.get(item_id)
            if before is built:  # kept (see _reusable)
                continue
            item = orjson.loads(built) if isinstance(built, bytes) else built
            encoded = orjson.dumps(item)
            if before == encoded:
                continue
            # kept as a copy: orjson's output holds on to the buffer it grew (4.1 kB of memory
            # for an item of 1.7 kB), which adds up over every item of the view
            kept = self._items[item_id] = bytes(memoryview(encoded))
            self._ranking.put(item)
            if bucket in ("agreements", "proposals"):
                if self._names_ceasefire(item):
                    self._about_ceasefire.add(item_id)
                else:
                    self._about_ceasefire.discard(item_id)
                if item.get("status") in ("agreed", "held") and item["section"] == "agreements":
                    self._ceasefire_agreed.add(item_id)
                else:  # ("rejected a ceasefire deal", "the truce collapsed": none in force)
                    self._ceasefire_agreed.discard(item_id)
            out.append(Change(item_id, item["section"], "created" if before is None else "updated", item, kept))
        return out

    def _build_region(self, bucket: str, root: Region, lookups: items.Lookups, reuse: bool = True) -> dict[str, Built]:
        """The items of one region of a bucket (a function of the facts in it)."""
        out: dict[str, Built] = {}
        whole = None if merge.partitions_within_regions(bucket) else root  # the region is one item
        for groups in self._region_groupings(bucket, root):
            item_id = groups[0].item_id  # (groups are in repr order: the first names the item)
            kept = self._reusable(item_id, groups, whole) if reuse else None
            if kept is not None:
                out[item_id] = kept
                continue
            item = self._grown(item_id, groups, lookups, whole) if reuse else None
            if item is None:
                item = self._build_anew(item_id, groups, lookups)
            out[item_id] = item
        return out

    def _build_anew(self, item_id: str, groups: list[SigGroup], lookups: items.Lookups) -> dict[str, Any]:
        """An item from all its facts; a large one keeps its builder to fold the next ones in."""
        if len(groups) == 1 and len(groups[0].facts) == 1 and self.keep_builders > 1:
            item = items.build_one(groups[0].bucket, groups[0].first(), item_id, lookups)
            if item is not None:
                self.built += 1
                self._built_from[item_id] = (groups[0],)
                self._builders.pop(item_id, None)
                return item
        builder = items.ItemBuilder(groups[0].bucket)
        for g in groups:
            builder.add_all(g.facts.values(), lookups)
        item = builder.item(lookups, groups[0].first(), item_id)
        self.built += 1
        self._built_from[item_id] = tuple(groups)
        if builder.size >= self.keep_builders:
            self._builders[item_id] = (builder, set(groups))
        else:
            self._builders.pop(item_id, None)
        return item

    def _grown(
        self, item_id: str, groups: list[SigGroup], lookups: items.Lookups, region: Region | None = None
    ) -> dict[str, Any] | None:
        """A large item whose facts only grew since it was built: its builder folds the new ones
        (also those of groups new to the item, when its head stays the same). ``region``: the
        root of the region the item is whole (a bucket that does not partition regions).

        Not when a fact went away or an article behind one changed (the aggregates cannot take a
        fact back out), nor when a group left the item."""
        kept = self._builders.get(item_id)
        built = self._built_from.get(item_id)
        if kept is None or built is None or built[0].bucket != groups[0].bucket:
            return None
        builder, held = kept
        if region is not None:
            new = self._grown_region(groups[0].bucket, region, len(groups), held)
        else:
            new = self._grown_group(groups, built, builder)
        if new is None:
            return None
        held.update(groups if region is None else ())  # (a region's new groups: in _grown_region)
        self._built_from[item_id] = tuple(groups)
        self.built += 1
        return builder.add_all(new, lookups).item(lookups, groups[0].first(), item_id)

    def _grown_region(self, bucket: str, root: Region, size: int, held: set[SigGroup]) -> list[Fact] | None:
        """The facts new to an item that is its whole region, if it only grew; by what changed
        alone (an item holding a party's every quote must not cost a pass over them). ``held``:
        the groups its builder folded (taken in here when it grows).

        A group leaves a region only when its last fact goes (spoiled) or the bucket's regions are
        rebuilt (then nothing is grown); a fact given again spoils its group
        (:meth:`_replace_facts`). So the item only grew when none of its groups is spoiled, the
        groups new to it are new with all their facts, and no other came in (a merged region's)."""
        changed = self._changed_in(bucket, root)
        if any(g.spoiled and g in held for g in changed):
            return None
        extra = [g for g in changed if g.added and g not in held]
        if size != len(held) + len(extra):
            return None  # a group came in with its old facts (regions merged)
        if any(g.spoiled or g.added is None or len(g.facts) != len(g.added) for g in extra):
            return None
        held.update(extra)
        return [f for g in changed if g.added for f in g.added]

    def _grown_group(
        self, groups: list[SigGroup], built: tuple[SigGroup, ...], builder: items.ItemBuilder
    ) -> list[Fact] | None:
        """The facts new to an item that is a group of its region, if it only grew (a pass over
        its groups: a partition may move them between items)."""
        if built != tuple(groups) and not set(built).issubset(groups):
            return None
        if any(g.spoiled for g in groups):
            return None
        new = [f for g in groups if g.added for f in g.added]
        if builder.size + len(new) != sum(len(g.facts) for g in groups):
            return None  # not only additions after all (a fact given twice, an old one moved in)
        return new

    def _reusable(self, item_id: str, groups: list[SigGroup], region: Region | None = None) -> bytes | None:
        """The JSON of the item last built from exactly these groups, if none of them was touched
        since (``region``: the root of the region the item is whole, as for :meth:`_grown`).

        An item is a function of its facts, the names of its entities and the articles behind
        it: a fact added or removed, or its article replaced, touches its group; a name that
        changes rebuilds its buckets whole (``reuse=False``). So a region touched in one place
        rebuilds that item only, not its untouched neighbours (a count category's every place).
        """
        if region is None:
            if any(g.touched for g in groups):
                return None
        elif self._changed_in(groups[0].bucket, region):
            return None
        if self._built_from.get(item_id) != tuple(groups):
            return None
        return self._items.get(item_id)

    def _changed_in(self, bucket: str, root: Region) -> list[SigGroup]:
        """The groups of a region (of a bucket whose regions are items) touched since the last
        refresh, gone ones included (see :meth:`_refresh_buckets`)."""
        return self._region_changes.get(bucket, {}).get(root, [])

    def _region_groups(self, bucket: str, root: Region) -> list[list[Fact]]:
        """The facts of a region, grouped into items."""
        return [[f for g in gs for f in g.facts.values()] for gs in self._region_groupings(bucket, root)]

    def _region_groupings(self, bucket: str, root: Region) -> list[list[SigGroup]]:
        """The groups of a region, grouped into items (each in ``repr`` order)."""
        groups = self._regions[bucket].groups(root)  # (kept in repr order by the region index)
        if len(groups) <= 1:  # most regions: one signature, one item
            return [list(groups)] if groups else []
        if not merge.partitions_within_regions(bucket):  # the region is the item
            return [list(groups)]
        summaries = [g.summary() for g in groups]
        reps, support, values = (
            [r for r, _a, _v in summaries],
            [a for _r, a, _v in summaries],
            [v for *_, v in summaries],
        )
        members = merge.partition(bucket, reps, support, values)
        return [[groups[i] for i in member] for member in members]

    def _lookups(self) -> items.Lookups:
        """For one build (not kept: see :class:`items.Lookups`)."""
        return items.Lookups(self.lex, self._names, self.articles, self._sentence_counts)

    def _build_item(self, bucket: str, facts: Sequence[Fact]) -> dict[str, Any]:
        return items.build_item(bucket, facts, self._lookups())

    def _refresh_stories(self) -> list[Change]:
        """Rebuild the items of the stories that gained articles or whose articles, entities or
        names changed; drop those of stories merged into another. A story's id is its smallest
        article id, so its item keeps its id as the story grows (see :class:`StoryIndex`)."""
        dirty = self._story_dirty | self._stories.take_changed()
        self._story_dirty = set()
        roots = {self._stories.story_of(a) for a in dirty}
        gone, self._stories_gone = self._stories_gone, set()
        listed = self._bucket_items.get("stories", set())
        old_ids = set(listed) if self._stories_redone else {stable_id("story", r) for r in roots | gone} & listed
        self._stories_redone = False
        new_items: dict[str, dict[str, Any]] = {}
        for root in sorted(roots):
            digest = self._story_digests.get(root)
            item = digest.item(stable_id("story", root), self.name_of) if digest is not None else None
            if item is not None:
                new_items[item["id"]] = item
        return self._swap("stories", old_ids, new_items)

    def _ceasefire(self) -> dict[str, Any]:
        """Agreed only when an agreement about a ceasefire is reported as agreed or held."""
        terms = self.lex.ceasefire_terms
        agreed, proposed = [], []
        for item_id in sorted(self._about_ceasefire):
            if item_id in self._ceasefire_agreed:
                agreed.append(item_id)
            else:
                proposed.append(item_id)
        denials = []
        for bucket, groups in sorted(self._buckets.items()):
            if not bucket.startswith("negated:"):
                continue
            for g in sorted(groups.values(), key=_text):
                for f in sorted(g.facts.values(), key=merge.BY_CLAIM):
                    if set(f.object_key) & terms or f.kind == "agreement":
                        ref = self._article_ref(f.article_id)
                        denials.append(
                            {
                                "article_id": f.article_id,
                                "outlet": ref.outlet if ref else None,
                                "sentence": f.sentence,
                                "asserted_by": f.asserted_by,
                            }
                        )
        status = "agreed" if agreed else "not agreed"
        return {
            "id": CEASEFIRE_ID,
            "section": "ceasefire",
            "kind": "ceasefire",
            "label": f"Ceasefire: {status}",
            "status": status,
            "agreements": agreed,
            "proposals": proposed,
            "denials": denials,
            "sources": len({d["outlet"] for d in denials if d["outlet"]}),
            "conflicts": [],
        }

    def _names_ceasefire(self, item: Mapping[str, Any]) -> bool:
        """Whether an agreement's or proposal's object (any variant) is a ceasefire."""
        # (as the merge reads them: "truce", "cease-fire" are the synonyms of "ceasefire")
        words = {w for v in item.get("object_variants", []) for w in object_tokens(str(v), self.lex)}
        return bool(words & self.lex.ceasefire_terms)

    def item(self, item_id: str) -> dict[str, Any] | None:
        """One item (a fresh copy: the caller may keep or edit it)."""
        raw = self._items.get(item_id)
        return None if raw is None else cast(dict[str, Any], orjson.loads(raw))

    def article_items(self, article_id: str) -> list[str]:
        """The ids of the items (as of the last refresh) that an article's facts support."""
        found: set[str] = set()
        for f in (*self.claims.get(article_id, ((), ()))[1], *self._titles.get(article_id, ())):
            regions = self._regions.get(f.bucket)
            if regions is None or f.match_key() not in regions:
                continue  # a negated claim (no item of its own), or not refreshed yet
            built = regions.items(regions.find(f.match_key()))
            if len(built) <= 1 or not merge.partitions_within_regions(f.bucket):
                found |= built
                continue
            # a region of several items: which one holds this fact is a partition away
            mine = self._group_of(f)
            for groups in self._region_groupings(f.bucket, regions.find(f.match_key())):
                if mine in groups and groups[0].item_id in built:
                    found.add(groups[0].item_id)
        return sorted(found)

    def state(self, raw: bool = False) -> dict[str, Any]:
        """The whole view as JSON-ready data (sections of items, conflicts, counters). ``raw``:
        items as :class:`orjson.Fragment` (their JSON as kept: for serializing, not reading)."""
        sections = {name: self._ranked(name, raw=raw) for name in self._listed_sections()}
        return {
            "view_version": self.applied,
            "articles": len(self.articles),
            "sections": sections,
            "ceasefire": self._ceasefire_item(raw),
            "conflicts": self._conflicts(sorted(self._ranking.disputed())),
            "counts": {s: len(rows) for s, rows in sections.items()},
        }

    def summary(self, limit: int, raw: bool = False) -> dict[str, Any]:
        """The view at a glance, bounded however large it grows: each section's first ``limit``
        items in the order of :meth:`state` (most sources, then latest), and the conflicts of the
        first ``limit`` items that have any (in that order). ``counts`` and ``conflicts_total`` say
        how many there are in all. What the page shows: the whole view of a month of news is
        tens of megabytes, which no page should fetch at every change; and it costs what it
        shows, not the size of the view (:class:`SectionRanking`)."""
        ranking = self._ranking
        return {
            "view_version": self.applied,
            "articles": len(self.articles),
            "sections": {name: self._ranked(name, 0, limit, raw) for name in self._listed_sections()},
            "ceasefire": self._ceasefire_item(raw),
            "conflicts": self._conflicts(ranking.disputed(limit)),
            "counts": {name: ranking.size(name) for name in self._listed_sections()},
            "conflicts_total": ranking.conflicts,
            "limit": limit,
        }

    def section_page(self, section: str, offset: int, limit: int, raw: bool = False) -> dict[str, Any] | None:
        """Items ``offset`` to ``offset + limit`` of one section, in the order of :meth:`state`
        (None: no such section)."""
        if section not in self._listed_sections():
            return None
        total = self._ranking.size(section)
        return {
            "section": section,
            "total": total,
            "offset": offset,
            "items": self._ranked(section, offset, limit, raw),
        }

    def _listed_sections(self) -> list[str]:
        """The sections listed as items (the ceasefire status is not a list): the known ones,
        then any other an item names."""
        extra = sorted(set(self._ranking.sections()) - set(SECTIONS))
        return [s for s in SECTIONS if s != "ceasefire"] + extra

    def _ranked(self, section: str, offset: int = 0, limit: int | None = None, raw: bool = False) -> list[Any]:
        return [self._out(i, raw) for i in self._ranking.page(section, offset, limit)]

    def _out(self, item_id: str, raw: bool) -> Any:
        """An item to serialize (its JSON as kept) or to read (a fresh dict)."""
        kept = self._items[item_id]
        return orjson.Fragment(kept) if raw else orjson.loads(kept)

    def _conflicts(self, item_ids: Iterable[str]) -> list[dict[str, Any]]:
        """The conflicts of these items, in that order, each with its item."""
        out: list[dict[str, Any]] = []
        for item_id in item_ids:
            item = orjson.loads(self._items[item_id])
            out.extend(
                {"item_id": item_id, "section": item["section"], "label": item["label"], **c} for c in item["conflicts"]
            )
        return out

    def _ceasefire_item(self, raw: bool = False) -> Any:
        if CEASEFIRE_ID in self._items:
            return self._out(CEASEFIRE_ID, raw)
        return {"status": "not agreed", "agreements": [], "proposals": []}

    def section_sizes(self) -> dict[str, int]:
        """Items per section, the ceasefire status included (the metrics' gauge)."""
        return {s: self._ranking.size(s) for s in (*SECTIONS, *self._ranking.sections())}

    def canonical_hash(self) -> str:
        """A hash of the rendered view: equal views, equal hashes (whatever the history)."""
        self_state = self.state()
        return hashlib.sha256(orjson.dumps(self_state, option=orjson.OPT_SORT_KEYS)).hexdigest()

    # ------------------------------------------------------------------------------- checkpoints
    def to_snapshot(self) -> dict[str, Any]:
        """The source state (derived indexes are rebuilt on load)."""
        return self.checkpoint_parts().snapshot()

    def checkpoint_parts(self) -> Parts:
        """:meth:`to_snapshot` as a head and keyed sections, so that a checkpoint writes only the
        rows that changed (:mod:`consumers.projector.rows`). Every value of a section is replaced,
        never edited, when it changes (records are frozen)."""
        head = {
            "version": 2,
            "applied": self.applied,
            "late": self.late,
            "seen": self.seen.head(),
            "window": self.window.to_json(),
            # (the window may have moved since the index forgot: an event applied, not refreshed)
            "index_evicted_to": self._index_evicted_to,
            "derived": {"facts": FACTS_VERSION, "lexicon": self.lex.digest},
            # the items saved beside the facts are theirs (refreshed), rendered by this version
            "rendered": {"version": items.RENDER_VERSION, "fresh": self._fresh},
        }
        sections = {
            "articles": Section(self.articles, _article_row),
            "entities": Section(self.entities, _entities_row),
            "claims": Section(self.claims, _claims_row),
            "items": Section(self._items, orjson.loads),
            "seen.ids": self.seen.ids_section(),
            **{f"stories.{name}": sec for name, sec in self._stories.sections().items()},
        }
        return Parts(head, sections)

    @classmethod
    def from_snapshot(cls, snap: Mapping[str, Any], lex: Lexicon | None = None, refreshed: bool = True) -> TalksView:
        """The view a checkpoint saved, with the window it was built with (see :func:`saved_window`).

        ``refreshed=False``: its items are not built yet, and its state is exactly ``snap`` (what a
        checkpoint store that just loaded it is told: :meth:`CheckpointStore.holds`); a
        :meth:`refresh` builds them."""
        view = cls(lex, ViewWindow.from_json(snap.get("window")))
        view._filling = True  # every bucket is built whole below: no per-fact bookkeeping
        view.applied = int(snap["applied"])
        view.late = int(snap.get("late", 0))
        view.seen = SeenEvents.restore(snap["seen"])
        rows = snap["articles"]  # by article id (a checkpoint of version 1: a list)
        for row in rows.values() if isinstance(rows, Mapping) else rows:
            rec = ArticleRec.from_row(row)
            view.articles[rec.article_id] = rec
        view._stories = StoryIndex.restore(snap.get("stories", {}), view.articles)
        view._stories.take_merged()  # (the digests are built from the stories as they are now)
        # what the checkpoint's index holds (before it was saved: the window's, if refreshed)
        evicted_to = snap.get("index_evicted_to", view.window.index_cutoff)
        view._index_evicted_to = None if evicted_to is None else float(evicted_to)
        for rec in view.articles.values():
            view._story_digest(rec.article_id).add_article(_in_story(rec))
        for aid, (rank, recs) in snap["entities"].items():
            ents = tuple(EntityRec(i, n, t, s, tuple(tuple(m) for m in ms)) for i, n, t, s, ms in recs)
            view.entities[aid] = ((str(rank[0]), str(rank[1]), str(rank[2])), ents)
            view._index_entities(aid, (), ents)
        for aid, (rank, facts) in snap["claims"].items():
            fs = tuple(Fact.from_json(f, aid) for f in facts)
            view.claims[aid] = ((str(rank[0]), str(rank[1]), str(rank[2])), fs)
            view._replace_facts(aid, (), fs)
        for aid in sorted(view.articles):
            view._refresh_titles(aid)
        view._filling = False
        rendered = snap.get("rendered") or {}
        if rendered.get("version") == items.RENDER_VERSION and rendered.get("fresh") and "items" in snap:
            view._adopt(snap["items"])
        else:  # (items of another rendering, or of facts not refreshed: built anew)
            view._dirty_buckets |= {b for b in view._buckets if not b.startswith("negated:")}
        view._ceasefire_dirty = True
        view._story_dirty |= view.articles.keys()
        if refreshed:
            view.refresh()
        return view

    def _adopt(self, saved: Mapping[str, Mapping[str, Any]]) -> None:
        """Take back the items a checkpoint saved instead of building them (most of a restart's
        time went into building every item again). Each region's items are found as a refresh
        would build them (its signature groups, their ids), so what is taken back is what a
        rebuild gives; a region whose items are not all saved is left for the refresh to build.
        The stories and the ceasefire status are built anew (they are few)."""
        for bucket in sorted(b for b in self._buckets if not b.startswith("negated:")):
            regions = self._region_index(bucket)
            for root in regions.roots():
                groupings = self._region_groupings(bucket, root)
                ids = [groups[0].item_id for groups in groupings]
                if not all(item_id in saved for item_id in ids):
                    self._dirty.add((bucket, root.key))
                    continue
                for item_id, groups in zip(ids, groupings, strict=True):
                    self._built_from[item_id] = tuple(groups)
                self._swap(bucket, set(), {item_id: dict(saved[item_id]) for item_id in ids})
                regions.set_items(root, ids)


def _text(g: SigGroup) -> str:
    return g.text


def _article_row(a: ArticleRec) -> list[Any]:
    return a.row()


def _entities_row(ranked: tuple[Rank, tuple[EntityRec, ...]]) -> list[Any]:
    rank, recs = ranked
    return [list(rank), [[e.id, e.name, e.type, e.salience, [list(m) for m in e.mentions]] for e in recs]]


def _claims_row(ranked: tuple[Rank, tuple[Fact, ...]]) -> list[Any]:
    rank, facts = ranked
    return [list(rank), [f.to_json() for f in facts]]


def saved_derivation(snap: Mapping[str, Any]) -> dict[str, Any]:
    """How a checkpoint's facts were derived: ``facts`` (:data:`FACTS_VERSION`, 1 before it was
    kept) and ``lexicon`` (the digest of its word lists, None before it was kept)."""
    derived = snap.get("derived") or {}
    return {"facts": int(derived.get("facts", 1)), "lexicon": derived.get("lexicon")}


def saved_window(snap: Mapping[str, Any]) -> float:
    """The window (seconds) a checkpoint was built with: a view cannot widen its window later
    (what it forgot is gone), so a checkpoint of another window is rebuilt from offset 0."""
    return float((snap.get("window") or {}).get("seconds", 0.0))


def _entity_rec(raw: Mapping[str, Any]) -> EntityRec:
    mentions: tuple[tuple[str, int, int, int, int], ...] = ()
    if str(raw.get("type", "")) == "PERSON":
        mentions = tuple(
            (
                intern(str(m.get("text", ""))),
                int(m.get("start", 0)),
                int(m.get("end", 0)),
                int((m.get("sentence") or {}).get("start", 0)),
                int((m.get("sentence") or {}).get("end", 0)),
            )
            for m in list(raw.get("mentions") or ())[:MAX_PERSON_MENTIONS]
        )
    return EntityRec(  # (names recur in every article that names them: one string each)
        id=intern(str(raw["id"])),
        name=intern(str(raw.get("name", raw["id"]))),
        type=intern(str(raw.get("type", ""))),
        salience=float(raw.get("salience", 0.0)),
        mentions=mentions,
    )


def apply(view: TalksView, event: Envelope) -> TalksView:
    """Fold one event into the view (pure with respect to the outside world; see module doc)."""
    return view.apply(event)


def build(evts: Iterable[Envelope], lex: Lexicon | None = None, keep_builders: int = KEEP_BUILDER_FACTS) -> TalksView:
    """A view from scratch: apply every event, then materialize."""
    view = TalksView(lex, keep_builders=keep_builders)
    for e in evts:
        view.apply(e)
    view.refresh()
    return view


def _merged(parts: Iterable[Mapping[str, Built]]) -> dict[str, Built]:
    out: dict[str, Built] = {}
    for part in parts:
        out.update(part)
    return out
