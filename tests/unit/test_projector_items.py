"""Items: the single-fact renderer gives exactly what the builder gives, for any one fact."""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from consumers.projector import items
from consumers.projector.facts import Fact, lexicon
from consumers.projector.merge import id_of_head
from consumers.projector.records import ArticleRec

TEXT = st.sampled_from(["", "kyiv", "ann", "bob", "x y", "it's", "2026-05-19", "2026-W20", "Dawn"])
MAYBE = st.one_of(st.none(), TEXT)
KINDS = ["call", "meeting", "talks", "strike", "sanction", "proposal", "agreement", "killed", "injured", "quote"]


@st.composite
def facts(draw: Any) -> Fact:
    claim_kind = draw(st.sampled_from(["event", "count", "quote", "title"]))
    kind = draw(st.sampled_from(KINDS))
    bucket = {
        "event": draw(st.sampled_from([f"event:{kind}", "proposals", "agreements"])),
        "count": f"count:{kind}",
        "quote": "party:ann",
        "title": "party:bob",
    }[claim_kind]
    start = draw(st.integers(0, 40))
    return Fact(
        article_id=draw(st.sampled_from(["art-1", "art-2"])),
        claim_id=draw(st.sampled_from(["c1", "c2"])),
        claim_kind=claim_kind,
        bucket=bucket,
        kind=kind,
        status=draw(st.sampled_from([None, "", "planned", "held", "proposed", "agreed", "threatened", "odd"])),
        participants=tuple(sorted(draw(st.sets(st.sampled_from(["ann", "bob", "cy"]), max_size=3)))),
        date=draw(MAYBE),
        place=draw(MAYBE),
        venue=draw(MAYBE),
        actor=draw(MAYBE),
        object_text=draw(MAYBE),
        object_key=tuple(sorted(draw(st.sets(st.sampled_from(["ceasefire", "30", "day"]), max_size=3)))),
        time_text=draw(MAYBE),
        value=draw(st.one_of(st.none(), st.sampled_from([0.0, 1.0, 2.5, 1000.0]))),
        lower_bound=draw(st.booleans()),
        text=draw(MAYBE),
        speaker=draw(MAYBE),
        negated=False,
        asserted_by=draw(st.sampled_from(["outlet", "source", "Kremlin"])),
        asserted_entity=draw(MAYBE),
        confidence=draw(st.sampled_from([0.5, 0.9])),
        sentence="A sentence about it.",
        start=start,
        end=start + draw(st.integers(0, 10)),
        sentence_start=draw(st.sampled_from([0, 3])),
    )


articles = st.dictionaries(
    st.sampled_from(["art-1", "art-2"]),
    st.builds(
        lambda aid, outlet, time: ArticleRec(aid, "r", "e", time, outlet, "Title", None, None, "body"),
        st.sampled_from(["art-1", "art-2"]),
        st.sampled_from(["", "Outlet A", "Outlet B"]),
        st.sampled_from(["", "2026-05-18T08:00:00Z"]),
    ),
)


COUNTED = st.lists(st.tuples(st.sampled_from(["killed", "injured", "drones_launched"]), st.sampled_from([1.0, 2.0])))


@settings(max_examples=400, deadline=None)
@given(facts(), articles, st.booleans(), COUNTED)
def test_one_fact_renders_as_the_builder_renders_it(
    f: Fact, refs: dict[str, ArticleRec], named: bool, counted: list[tuple[str, float]]
) -> None:
    """(``counted``: the counts said in the fact's sentence, the figures of an event.)"""
    refs = {aid: ArticleRec(aid, *(rec.row()[1:])) for aid, rec in refs.items()}  # (each under its own id)
    votes = {"ann": Counter({"Ann A.": 2}), "kyiv": Counter({"Kyiv": 1})} if named else {}
    said = {
        f"n{i}": f._replace(claim_id=f"n{i}", claim_kind="count", kind=kind, value=value)
        for i, (kind, value) in enumerate(counted)
    }
    counts = {(f.article_id, f.sentence_start): said} if said else {}
    lookups = items.Lookups(lexicon(), votes, refs, counts)
    item_id = id_of_head(f.bucket, f.signature())
    fast = items.build_one(f.bucket, f, item_id, lookups)
    built = items.ItemBuilder(f.bucket).add_all([f], lookups).item(lookups, f, item_id)
    if fast is None:  # (what only the builder renders)
        assert f.bucket.startswith("party:")
        return
    assert fast == built
    assert list(fast) == list(built)  # (the same keys in the same order: the JSON is the same)
