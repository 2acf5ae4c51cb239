"""Stories: near-duplicates and shared entities cluster; unrelated articles do not; order is irrelevant."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from consumers.projector.stories import StoryIndex
from consumers.projector.view import TalksView, build
from newswire import events, ids
from newswire.events import Envelope

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
