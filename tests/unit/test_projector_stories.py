"""Stories: near-duplicates and shared entities cluster; unrelated articles do not; order is irrelevant."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from random import Random
from typing import Any

import orjson
from datasketch import MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from consumers.projector import items
from consumers.projector import stories as stories_module
from consumers.projector.stories import NUM_PERM, Signature, StoryIndex, shingles, signature, similarity
from consumers.projector.view import TalksView, build
from newswire import events, ids
from newswire.events import Envelope
from newswire.ids import stable_id

BASE = (
    "Ukrainian President Volodymyr Zelensky met US Vice President JD Vance in Rome on Sunday, their first "
    "encounter since a tense exchange in Washington. The meeting came as Russia launched its largest drone "
    "assault of the war, with 273 drones fired at Kyiv and other regions overnight."
)
COPY = BASE.replace("Sunday", "Sunday afternoon") + " Officials said talks would continue."
OTHER = (
    "The city council approved a new budget for public libraries on Tuesday, adding reading rooms and "
    "longer opening hours in three districts after a year of consultation with residents."
)
UNRELATED_ENTS = ["city-council", "springfield", "library-board"]
SHARED_A = ["donald-trump", "vladimir-putin", "ukraine", "russia", "volodymyr-zelensky", "istanbul"]
SHARED_B = ["donald-trump", "vladimir-putin", "ukraine", "russia", "nato", "kremlin"]


def test_near_duplicate_texts_form_one_story() -> None:
    idx = StoryIndex()
    idx.add_text("a", "r1", BASE)
    idx.add_text("b", "r1", COPY)
    idx.add_text("c", "r1", OTHER)
    assert idx.clusters() == [["a", "b"], ["c"]]


def test_shared_entities_link_differently_worded_articles() -> None:
    idx = StoryIndex()
    idx.add_text("a", "r1", BASE)
    idx.add_text("b", "r1", OTHER)  # different text, same cast: linked by entities
    idx.add_entities("a", "e1", SHARED_A)
    idx.add_entities("b", "e1", SHARED_B)
    idx.add_text("c", "r1", "Something else entirely happened in a small town far away from all of this.")
    idx.add_entities("c", "e1", UNRELATED_ENTS)
    assert idx.clusters() == [["a", "b"], ["c"]]


OPS = [
    ("text", "a", BASE),
    ("text", "b", COPY),
    ("text", "b2", COPY),  # exact copies: linked through their twin, not compared again
    ("text", "b3", COPY),
    ("ents", "d2", SHARED_B),
    ("text", "c", OTHER),
    ("ents", "c", SHARED_A),
    ("ents", "d", SHARED_B),
    ("ents", "e", UNRELATED_ENTS),
    ("text", "e", OTHER + " More text about the libraries."),
]


def _run(order: list[int]) -> StoryIndex:
    idx = StoryIndex()
    for i in order:
        kind, art, payload = OPS[i]
        if kind == "text":
            idx.add_text(art, "r1", str(payload))
        else:
            idx.add_entities(art, "e1", list(payload))
    return idx


EXPECTED = _run(list(range(len(OPS)))).clusters()


@settings(max_examples=50, deadline=None)
@given(st.permutations(range(len(OPS))))
def test_clusters_do_not_depend_on_arrival_order(order: list[int]) -> None:
    assert _run(order).clusters() == EXPECTED


def test_export_and_restore_keep_the_clusters() -> None:
    idx = _run(list(range(len(OPS))))
    again = StoryIndex.restore(idx.export())
    assert again.clusters() == idx.clusters()
    assert len(EXPECTED) < len({art for _k, art, _p in OPS})  # something was actually linked


def _article(aid: str, when: str, revision: str, body: str) -> Envelope:
    data = {"article_id": aid, "revision": revision, "outlet": "o", "title": aid, "url": None, "published": None}
    return Envelope(
        id=ids.derived_event_id(events.ARTICLE_INGESTED, aid, revision),
        type=events.ARTICLE_INGESTED,
        source="urn:newswire:test",
        subject=aid,
        time=when,
        data={**data, "body": body},
    )


def test_an_older_revision_that_links_two_stories_merges_their_items() -> None:
    """Every revision's text is indexed, also one older than the article's current revision: the
    link it makes merges the two story items at the next refresh (as a rebuild would show)."""
    evts = [
        _article("a", "2026-05-12T00:00:00Z", "r2", BASE),
        _article("b", "2026-05-12T00:00:00Z", "r1", OTHER),
        _article("a", "2026-05-11T00:00:00Z", "r1", OTHER),  # older: not shown, still a link
    ]
    view = TalksView()
    for e in evts[:2]:
        view.apply(e)
    view.refresh()
    assert view.section_sizes()["stories"] == 2
    view.apply(evts[2])
    view.refresh()
    assert view.section_sizes()["stories"] == 1
    assert view.canonical_hash() == build(reversed(evts)).canonical_hash()


# --------------------------------------------------------------------------------------------
# the index against brute force: every pair compared, however many articles share a bucket

WORDS = [f"w{i}" for i in range(60)]


@st.composite
def _near_duplicates(draw: st.DrawFn) -> list[str]:
    """Texts varied from a few bases (a word changed here and there): many share buckets, some
    pass the threshold and some do not; a few are exact copies."""
    bases = draw(st.lists(st.lists(st.sampled_from(WORDS), min_size=12, max_size=20), min_size=1, max_size=3))
    texts = []
    for _ in range(draw(st.integers(2, 14))):
        words = list(draw(st.sampled_from(bases)))
        for _ in range(draw(st.integers(0, 6))):
            words[draw(st.integers(0, len(words) - 1))] = draw(st.sampled_from(WORDS))
        texts.append(" ".join(words))
    return texts


def _brute_force(texts: list[str], threshold: float) -> list[list[str]]:
    """Components of the links between every pair that shares a band and passes the threshold."""
    ranges = MinHashLSH(threshold=threshold, num_perm=NUM_PERM).hashranges
    sigs = [signature(shingles(t)) for t in texts]
    parent = list(range(len(texts)))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i in range(len(texts)):
        for j in range(i):
            banded = any((sigs[i][lo:hi] == sigs[j][lo:hi]).all() for lo, hi in ranges)
            if banded and similarity(sigs[i], sigs[j]) >= threshold:
                parent[find(i)] = find(j)
    groups: dict[int, list[str]] = {}
    for i in range(len(texts)):
        groups.setdefault(find(i), []).append(f"a{i:02d}")
    return sorted(sorted(g) for g in groups.values())


@settings(max_examples=60, deadline=None)
@given(_near_duplicates(), st.randoms(use_true_random=False))
def test_stories_are_the_components_of_all_pairwise_links(texts: list[str], rnd: Random) -> None:
    order = list(range(len(texts)))
    rnd.shuffle(order)
    idx = StoryIndex()
    for i in order:
        idx.add_text(f"a{i:02d}", "r1", texts[i])
    assert idx.clusters() == _brute_force(texts, idx.text_threshold)
    assert StoryIndex.restore(idx.export()).clusters() == idx.clusters()


def test_a_new_copy_passes_over_its_own_story_at_once() -> None:
    """A story's copies share buckets; a new copy compares with one of them to join the story
    and passes over the others a bucket at a time, not copy by copy (a flood of near-duplicates
    costs per story, not per copy)."""
    base = BASE.split()
    idx = StoryIndex()
    for i in range(300):
        words = list(base)
        words[i % len(words)] = f"changed{i}"
        words[(7 * i + 3) % len(words)] = f"altered{i}"
        idx.add_text(f"copy-{i:03d}", "r1", " ".join(words))
    assert len(idx.clusters()) == 1
    work = Counter[str]()
    find, compare = idx._find, stories_module.similarity

    def counted_find(a: str) -> str:
        work["find"] += 1
        return find(a)

    def counted_compare(a: Signature, b: Signature) -> float:
        work["compare"] += 1
        return compare(a, b)

    idx._find = counted_find  # type: ignore[method-assign]
    stories_module.similarity = counted_compare
    try:
        idx.add_text("copy-new", "r1", " ".join(["fresh", *base[1:]]))
    finally:
        stories_module.similarity = compare
    assert idx.story_of("copy-new") == "copy-000"
    assert work["compare"] == 1
    assert work["find"] < 100  # a few per band; one per copy in a shared bucket would be hundreds


# --------------------------------------------------------------------------------------------
# the story items against a rebuild from all the articles of each story

PARAGRAPHS = [BASE, COPY, OTHER, OTHER + " More text about the libraries.", "A short unrelated note on the weather."]
ENTITY_SETS = [SHARED_A, SHARED_B, UNRELATED_ENTS, ["kremlin", "nato"]]


def _story_item_from_scratch(view: TalksView, members: list[str]) -> dict[str, Any] | None:
    """The item of a story from all its articles (what StoryDigest keeps up to date)."""
    arts = sorted((view.articles[a] for a in members if a in view.articles), key=lambda r: (r.time, r.article_id))
    if not arts:
        return None
    counts: Counter[str] = Counter()
    for a in members:
        counts.update(view._story_entities.get(a, ()))
    outlets = sorted({a.outlet for a in arts})
    rows = [
        {"article_id": a.article_id, "outlet": a.outlet, "title": a.title, "url": a.url, "time": a.time} for a in arts
    ]
    return {
        "id": stable_id("story", members[0]),
        "section": "stories",
        "kind": "story",
        "label": arts[0].title,
        "size": len(arts),
        "sources": len(outlets),
        "outlets": outlets,
        "first_seen": arts[0].time,
        "last_seen": max(a.time for a in arts),
        "entities": [
            {"id": e, "name": view.name_of(e), "articles": n}
            for e, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:8]
        ],
        "articles": items.bounded(rows, items.MAX_LISTED_ARTICLES),
        "conflicts": [],
    }


def _entities_event(aid: str, when: str, version: int, entity_ids: list[str]) -> Envelope:
    ents = [{"id": e, "name": e.replace("-", " ").title(), "type": "GPE", "salience": 0.5} for e in entity_ids]
    return Envelope(
        id=ids.derived_event_id(events.ENTITIES_EXTRACTED, aid, f"v{version}"),
        type=events.ENTITIES_EXTRACTED,
        source="urn:newswire:test",
        subject=aid,
        time=when,
        data={"article_id": aid, "revision": "r1", "extractor": f"test@{version}", "entities": ents},
    )


@st.composite
def _story_events(draw: st.DrawFn) -> list[Envelope]:
    """Articles (some revised, with another text, time or outlet) and entity extractions (some
    redone), over a few texts and casts, so stories form, merge and change."""
    out: list[Envelope] = []
    for n in range(draw(st.integers(2, 9))):
        aid = f"art-{n:02d}"
        for rev in range(draw(st.integers(1, 2))):
            when = f"2026-05-{draw(st.integers(10, 14)):02d}T0{rev}:00:00Z"
            ev = _article(aid, when, f"r{rev}", draw(st.sampled_from(PARAGRAPHS)))
            outlet = draw(st.sampled_from(["alpha", "beta", "gamma"]))
            out.append(replace(ev, data={**ev.data, "outlet": outlet, "title": f"{aid} {rev}"}))
        for version in range(draw(st.integers(0, 2))):
            out.append(
                _entities_event(aid, f"2026-05-14T0{version}:00:00Z", version, draw(st.sampled_from(ENTITY_SETS)))
            )
    return out


@settings(max_examples=60, deadline=None)
@given(_story_events(), st.randoms(use_true_random=False))
def test_story_items_equal_a_rebuild_of_each_story_from_its_articles(evts: list[Envelope], rnd: Random) -> None:
    evts = list(evts)
    rnd.shuffle(evts)
    view = TalksView()
    for e in evts:
        view.apply(e)
        if rnd.random() < 0.3:
            view.refresh()
    view.refresh()
    expected = [_story_item_from_scratch(view, members) for members in view._stories.clusters()]
    shown = sorted((view.item(i) or {} for i in view._bucket_items.get("stories", set())), key=lambda i: i["id"])
    assert shown == sorted((i for i in expected if i is not None), key=lambda i: i["id"])
    restored = TalksView.from_snapshot(orjson.loads(orjson.dumps(view.to_snapshot())))
    assert restored.canonical_hash() == view.canonical_hash()


def test_an_index_since_a_time_is_the_index_of_the_later_keys_alone() -> None:
    """Stories split when the article that linked them is older than the cutoff."""
    idx = StoryIndex()
    idx.add_text("a", "r1", BASE, at=10.0)
    idx.add_text("c", "r1", COPY, at=5.0)  # like a's text …
    idx.add_entities("c", "e1", SHARED_A, at=5.0)  # … and b's cast
    idx.add_entities("b", "e1", SHARED_B, at=10.0)
    idx.add_text("d", "r1", OTHER)  # no time known: never forgotten
    assert idx.clusters() == [["a", "b", "c"], ["d"]]
    later = idx.since(6.0, ["a", "b"])
    assert later.clusters() == [["a"], ["b"], ["d"]]
    assert later.clusters() == StoryIndex.restore(later.export(), ["a", "b"]).clusters()
    assert set(later.export()["times"]) == {"a@r1", "b@e1"}
    assert idx.since(0.0, ["a", "b"]).clusters() == idx.clusters()
