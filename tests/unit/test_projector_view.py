"""The pure view: the gold state from seed-derived events, merging, conflicts, status, replacement."""

from __future__ import annotations

import sys
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from consumers.projector import synthetic
from consumers.projector import view as view_module
from consumers.projector.ranking import rank_key
from consumers.projector.view import TalksView, apply, build
from newswire import events
from newswire.events import Envelope
from newswire.schema_registry import check_event
from tests.unit.projector_support import assert_gold_proposals, assert_gold_state, seed_articles, seed_events


def _names() -> dict[str, str]:
    return {name: str(env.data["article_id"]) for name, env in seed_articles().items()}


def test_seed_events_are_schema_valid() -> None:
    for env in seed_events():
        check_event(env.to_dict())


def test_view_after_the_seeds_holds_the_gold_state() -> None:
    state = build(seed_events()).state()
    assert_gold_state(state, _names())
    assert_gold_proposals(state)


def test_every_item_is_traceable_to_sentences() -> None:
    view = build(seed_events())
    state = view.state()
    for section, rows in state["sections"].items():
        for item in rows:
            if section in ("stories", "parties"):
                continue
            assert item["articles"], item["label"]
            for art in item["articles"]:
                assert art["outlet"] and art["title"]
                for ev in art["evidence"]:
                    lo, hi = ev["highlight"]
                    assert 0 <= lo <= hi <= len(ev["sentence"])
            assert item["first_seen"] <= item["last_seen"]
            assert view.item(item["id"]) == item


def test_duplicates_are_dropped_by_id() -> None:
    evs = list(seed_events())
    once = build(evs)
    twice = build(evs + evs[::-1])
    assert once.canonical_hash() == twice.canonical_hash()
    assert twice.applied == len(evs)


def _claims_event(article: Envelope, claims: list[dict[str, Any]], extractor: str = "test@1") -> Envelope:
    data = {
        "article_id": article.data["article_id"],
        "revision": article.data["revision"],
        "extractor": extractor,
        "published": article.data.get("published"),
        "claims": claims,
    }
    return synthetic.derived(article, events.CLAIMS_EXTRACTED, data, extractor)


def _event_claim(cid: str, kind: str, participants: list[str], status: str, **extra: Any) -> dict[str, Any]:
    ev = {"kind": kind, "participants": participants, "status": status, "negated": False}
    ev.update(extra)
    sentence = f"Claim {cid}."
    return {
        "id": cid,
        "kind": "event",
        "asserted_by": {"kind": "outlet", "text": "outlet"},
        "confidence": 0.8,
        "evidence": {"start": 0, "end": 5, "sentence_start": 0, "sentence_end": len(sentence), "sentence": sentence},
        "event": ev,
    }


def _count_claim(
    cid: str, category: str, value: int, said_by: str = "outlet", place: str | None = None
) -> dict[str, Any]:
    sentence = f"{value} {category}."
    return {
        "id": cid,
        "kind": "count",
        "asserted_by": {"kind": "source" if said_by != "outlet" else "outlet", "text": said_by},
        "confidence": 0.8,
        "evidence": {"start": 0, "end": 1, "sentence_start": 0, "sentence_end": len(sentence), "sentence": sentence},
        "count": {"category": category, "value": value, "lower_bound": False, "place": place},
    }


def test_status_moves_forward_and_history_is_kept() -> None:
    arts = list(seed_articles().values())
    planned = _claims_event(arts[0], [_event_claim("a", "call", ["x-one", "x-two"], "planned")])
    held = _claims_event(arts[3], [_event_claim("b", "call", ["x-two", "x-one"], "held")])
    for order in ([arts[0], arts[3], planned, held], [held, arts[3], planned, arts[0]]):
        view = build(order)
        state = view.state()
        assert not [i for i in state["sections"]["upcoming"] if i["kind"] == "call"]
        (call,) = [i for i in state["sections"]["held"] if i["kind"] == "call"]
        assert call["status"] == "held"
        assert [h["status"] for h in call["status_history"]] == ["planned", "held"]
        assert call["sources"] == 2


def test_a_proposed_call_is_the_same_item_once_planned() -> None:
    """A proposed call is an open proposal; once an article reports it planned, it is that
    call, upcoming (not also still a proposal)."""
    arts = list(seed_articles().values())
    proposed = _claims_event(arts[0], [_event_claim("a", "call", ["x-one", "x-two"], "proposed")])
    planned = _claims_event(arts[1], [_event_claim("b", "call", ["x-two", "x-one"], "planned")])
    sections = build([arts[0], proposed]).state()["sections"]
    assert [i["status"] for i in sections["proposals"] if i["kind"] == "call"] == ["proposed"]
    sections = build([arts[1], planned, arts[0], proposed]).state()["sections"]
    assert not [i for i in sections["proposals"] if i["kind"] == "call"]
    (call,) = [i for i in sections["upcoming"] if i["kind"] == "call"]
    assert ([h["status"] for h in call["status_history"]], call["sources"]) == (["proposed", "planned"], 2)


def test_conflicting_counts_list_who_said_what() -> None:
    arts = list(seed_articles().values())
    a = _claims_event(arts[0], [_count_claim("k1", "killed", 1)])
    b = _claims_event(arts[1], [_count_claim("k2", "killed", 2, said_by="Ukrainian officials")])
    state = build([*arts[:2], a, b]).state()
    (conflict,) = [c for c in state["conflicts"] if c["about"] == "killed"]
    by_value = {v["value"]: v["said_by"] for v in conflict["values"]}
    assert set(by_value) == {1, 2}
    assert by_value[2][0]["asserted_by"] == "Ukrainian officials"
    assert by_value[1][0]["outlet"] == arts[0].data["outlet"]


def test_a_strike_is_named_by_its_first_figure_in_the_lexicons_order() -> None:
    """People killed name a strike before drones intercepted (not the alphabet's order)."""
    arts = list(seed_articles().values())
    claims = [
        _event_claim("s", "strike", ["r"], "held"),
        _count_claim("d", "drones_intercepted", 40),
        _count_claim("k", "killed", 3),
    ]
    (strike,) = [
        i
        for i in build([arts[0], _claims_event(arts[0], claims)]).state()["sections"]["violence"]
        if i["kind"] == "strike"
    ]
    assert [f["category"] for f in strike["figures"]] == ["killed", "drones_intercepted"]
    assert (strike["value"], "killed: 3" in strike["label"]) == (3, True)


def test_a_count_by_an_unstated_actor_joins_the_tied_count_that_says_its_number() -> None:
    """Ukraine intercepted 88 drones, Russia 25; a third report of 88 intercepted, by whom
    unstated, is Ukraine's (both stated counts have one source: only the number tells)."""
    arts = list(seed_articles().values())

    def count(art: Envelope, cid: str, value: int, actor: str | None) -> Envelope:
        claim = _count_claim(cid, "drones_intercepted", value)
        claim["count"]["actor"] = actor
        return _claims_event(art, [claim])

    claims = [count(arts[0], "a", 88, "ukraine"), count(arts[1], "b", 25, "russia"), count(arts[2], "c", 88, None)]
    for order in ([*arts[:3], *claims], [*arts[:3], *reversed(claims)]):
        violence = build(order).state()["sections"]["violence"]
        got = sorted(
            (i["actor"] or "", i["value"], i["sources"]) for i in violence if i["kind"] == "drones_intercepted"
        )
        assert got == [("russia", 25, 1), ("ukraine", 88, 2)]
    other = count(arts[2], "c", 40, None)  # a number neither says: which one is unknown
    violence = build([*arts[:3], *claims[:2], other]).state()["sections"]["violence"]
    assert sorted(i["sources"] for i in violence if i["kind"] == "drones_intercepted") == [1, 1, 1]


def test_a_count_naming_no_actor_joins_a_stated_one_only_if_it_says_its_number() -> None:
    """Two killed in the overnight attack (three reports, no actor named) and nine killed in a
    bus strike by Russia (one report) are two incidents, not a conflict of 2 against 9: a count
    that leaves who unstated joins a stated one only when it says that one's number."""
    arts = list(seed_articles().values())

    def killed(art: Envelope, cid: str, value: int, actor: str | None) -> Envelope:
        claim = _count_claim(cid, "killed", value)
        claim["count"]["actor"] = actor
        return _claims_event(art, [claim])

    claims = [killed(arts[0], "a", 2, None), killed(arts[1], "b", 2, None), killed(arts[2], "c", 9, "russia")]
    claims.append(killed(arts[3], "d", 1, None))  # "at least one": the unstated reports conflict
    for order in ([*arts[:4], *claims], [*arts[:4], *reversed(claims)]):
        state = build(order).state()
        got = sorted((i["actor"] or "", i["value"], i["sources"]) for i in state["sections"]["violence"])
        assert got == [("", 2, 3), ("russia", 9, 1)]
        (conflict,) = [c for c in state["conflicts"] if c["about"] == "killed"]
        assert sorted(v["value"] for v in conflict["values"]) == [1, 2]


def test_vague_mentions_that_disagree_do_not_meet_in_the_item_they_would_each_join() -> None:
    """Strikes in two cities, undated, would each join the one dated strike that names no
    place; together they would make one strike in two places. Neither joins; a mention that
    states neither date nor place still does."""
    arts = list(seed_articles().values())
    day = {"text": "Sunday", "date": "2026-05-17"}
    claims = [
        _claims_event(arts[0], [_event_claim("a", "strike", ["r"], "held", time=day)]),
        _claims_event(arts[1], [_event_claim("b", "strike", ["r"], "held", time=day)]),
        _claims_event(arts[2], [_event_claim("c", "strike", ["r"], "held", place="x-city")]),
        _claims_event(arts[3], [_event_claim("d", "strike", ["r"], "held", place="y-city")]),
        _claims_event(arts[4], [_event_claim("e", "strike", ["r"], "held")]),
    ]
    for order in ([*arts, *claims], [*arts, *reversed(claims)]):
        strikes = [i for i in build(order).state()["sections"]["violence"] if i["kind"] == "strike"]
        assert sorted((i["sources"], i["place"]) for i in strikes) == [(1, "x-city"), (1, "y-city"), (3, None)]
    # the same with dates: strikes on two days, no place named, each joining the strike in x-city
    monday, friday = {"text": "Monday", "date": "2026-05-11"}, {"text": "Friday", "date": "2026-05-15"}
    claims = [
        _claims_event(arts[0], [_event_claim("a", "strike", ["r"], "held", place="x-city")]),
        _claims_event(arts[1], [_event_claim("b", "strike", ["r"], "held", place="x-city")]),
        _claims_event(arts[2], [_event_claim("c", "strike", ["r"], "held", time=monday)]),
        _claims_event(arts[3], [_event_claim("d", "strike", ["r"], "held", time=friday)]),
    ]
    strikes = [i for i in build([*arts, *claims]).state()["sections"]["violence"] if i["kind"] == "strike"]
    assert sorted(i["sources"] for i in strikes) == [1, 1, 2]


def test_a_truce_of_some_days_or_hours_is_a_proposal_of_it() -> None:
    """ "A 45-day truce", "a 36-hour ceasefire": a count of its length implies the proposal."""
    arts = list(seed_articles().values())
    claims = _claims_event(arts[0], [_count_claim("d", "ceasefire_days", 45), _count_claim("h", "ceasefire_hours", 36)])
    proposals = build([arts[0], claims]).state()["sections"]["proposals"]
    assert sorted(i["object"] for i in proposals) == ["36-hour ceasefire", "45-day ceasefire"]


def test_a_truce_agreed_under_any_of_its_names_decides_the_ceasefire_status() -> None:
    """An agreed "truce" or "armistice" is an agreed ceasefire (the lexicon's synonyms), as the
    merge reads it; a truce only proposed is not."""
    arts = list(seed_articles().values())
    for status, expected in (("agreed", "agreed"), ("proposed", "not agreed")):
        truce = _event_claim("t", "agreement", ["x-one", "x-two"], status, object="Easter truce")
        state = build([arts[0], _claims_event(arts[0], [truce])]).state()
        assert state["ceasefire"]["status"] == expected, status


def test_a_peace_agreement_is_a_peace_deal() -> None:
    """The word for a deal is not what it is about: "peace agreement" and "peace deal" of the
    same parties are one agreement, and an agreed "ceasefire deal" is an agreed ceasefire."""
    arts = list(seed_articles().values())
    a = _event_claim("a", "agreement", ["x-one", "x-two"], "agreed", object="peace agreement")
    b = _event_claim("b", "agreement", ["x-two", "x-one"], "agreed", object="a peace deal")
    c = _event_claim("c", "agreement", ["x-three", "x-four"], "agreed", object="ceasefire deal")
    state = build([*arts[:2], _claims_event(arts[0], [a]), _claims_event(arts[1], [b, c])]).state()
    assert sorted(i["sources"] for i in state["sections"]["agreements"]) == [1, 2]
    assert state["ceasefire"]["status"] == "agreed"


def test_a_deal_rejected_is_a_proposal_rejected_and_no_ceasefire() -> None:
    """ "Moscow rejected the ceasefire deal": a proposal rejected, listed with the proposals, and
    the ceasefire is not agreed; a proposal that moved on to rejected stays a proposal too."""
    arts = list(seed_articles().values())
    proposed = _event_claim("p", "agreement", ["x-one", "x-two"], "proposed", object="ceasefire deal")
    rejected = _event_claim("r", "agreement", ["x-one", "x-two"], "rejected", object="ceasefire deal")
    for claims in ([rejected], [proposed, rejected]):
        state = build([arts[0], _claims_event(arts[0], claims)]).state()
        assert not state["sections"]["agreements"]
        (item,) = state["sections"]["proposals"]
        assert item["status"] == "rejected"
        assert state["ceasefire"]["status"] == "not agreed"
    collapsed = _event_claim("c", "agreement", ["x-one", "x-two"], "cancelled", object="ceasefire deal")
    state = build([arts[0], _claims_event(arts[0], [collapsed])]).state()
    assert [i["status"] for i in state["sections"]["agreements"]] == ["cancelled"]
    assert state["ceasefire"]["status"] == "not agreed"  # (a deal broken is no ceasefire in force)


def test_a_vague_proposal_does_not_glue_two_specific_ones() -> None:
    """ "A ceasefire" names less than "a 30-day ceasefire" and "a 60-day ceasefire": it joins
    the better supported of them, and none when they tie; the two never become one item."""
    arts = list(seed_articles().values())

    def proposals(*whats: str) -> list[dict[str, Any]]:
        return [_event_claim(f"c{n}", "proposal", [], "proposed", object=w) for n, w in enumerate(whats)]

    tied = [["a ceasefire"], ["a 30-day ceasefire"], ["30-day ceasefire"], ["a 60-day truce"], ["60-day ceasefire"]]
    thirty_ahead = [*tied[:4], ["60-day ceasefire", "the 30-day ceasefire"]]
    for said, expected in ((tied, [1, 2, 2]), (thirty_ahead, [2, 4])):
        evs = [*arts, *(_claims_event(a, proposals(*w)) for a, w in zip(arts, said, strict=True))]
        for order in (evs, evs[::-1]):
            props = build(order).state()["sections"]["proposals"]
            assert sorted(i["sources"] for i in props) == expected, [i["label"] for i in props]
            for item in props:
                words = set(" ".join(item["object_variants"]).replace("-", " ").split())
                assert not {"30", "60"} <= words, item["object_variants"]


def test_different_dates_are_different_items() -> None:
    arts = list(seed_articles().values())
    a = _claims_event(
        arts[0], [_event_claim("a", "call", ["p", "q"], "planned", time={"text": "Monday", "date": "2026-05-19"})]
    )
    b = _claims_event(
        arts[1], [_event_claim("b", "call", ["p", "q"], "planned", time={"text": "Friday", "date": "2026-05-23"})]
    )
    c = _claims_event(arts[2], [_event_claim("c", "call", ["p", "q"], "planned")])
    state = build([*arts[:3], a, b, c]).state()
    calls = [i for i in state["sections"]["upcoming"] if i["kind"] == "call"]
    # the undated mention cannot tell which call it is about: it stays on its own
    assert sorted(i["sources"] for i in calls) == [1, 1, 1]


def _talks(art: Envelope, cid: str, when: tuple[str, str] | None) -> Envelope:
    time = {"text": when[0], "date": when[1]} if when else None
    return _claims_event(art, [_event_claim(cid, "talks", ["p", "q"], "held", time=time)])


def test_a_week_is_a_vaguer_statement_of_a_day_inside_it() -> None:
    """ "Last week's talks" and "Friday's talks" are one item when Friday lies in that week; a
    mention without a date then has one item to join. In any order; the day is shown, and the
    week is not a conflicting date."""
    arts = list(seed_articles().values())
    claims = [
        _talks(arts[0], "a", ("last week", "2025-W20")),
        _talks(arts[1], "b", ("Friday", "2025-05-16")),
        _talks(arts[2], "c", None),
    ]
    for order in (
        [*arts[:3], *claims],
        [*arts[:3], *reversed(claims)],
        [claims[2], arts[2], claims[0], *arts[:2], claims[1]],
    ):
        (talks,) = [i for i in build(order).state()["sections"]["held"] if i["kind"] == "talks"]
        assert (talks["sources"], talks["date"], talks["conflicts"]) == (3, "2025-05-16", [])


def test_a_week_holding_two_days_joins_neither_unless_one_is_better_supported() -> None:
    arts = list(seed_articles().values())
    monday, friday = ("Monday", "2025-05-12"), ("Friday", "2025-05-16")
    week = _talks(arts[0], "a", ("last week", "2025-W20"))
    tie = [week, _talks(arts[1], "b", monday), _talks(arts[2], "c", friday)]
    held = build([*arts[:3], *tie]).state()["sections"]["held"]
    assert sorted(i["sources"] for i in held if i["kind"] == "talks") == [1, 1, 1]
    other_week = _talks(arts[3], "d", ("the week before", "2025-W19"))  # does not hold Friday
    better = [*tie, _talks(arts[4], "e", friday), other_week]
    held = build([*arts, *better]).state()["sections"]["held"]
    assert sorted((i["sources"], i["date"]) for i in held if i["kind"] == "talks") == [
        (1, "2025-05-12"),
        (1, "2025-W19"),
        (3, "2025-05-16"),
    ]


def test_a_proposal_that_names_no_what_does_not_glue_its_proposers_proposals() -> None:
    """ "He pushed for an immediate …" (who, no what) is none of that person's proposals in
    particular: it matched each, and their region — one item — swallowed them all."""
    arts = list(seed_articles().values())
    claims = [
        _claims_event(arts[0], [_event_claim("a", "proposal", ["p"], "proposed", object="a summit with q")]),
        _claims_event(arts[1], [_event_claim("b", "proposal", ["p"], "proposed", object="new sanctions")]),
        _claims_event(arts[2], [_event_claim("c", "proposal", ["p"], "proposed")]),
        _claims_event(arts[3], [_event_claim("d", "proposal", ["p"], "proposed", object="a summit with q soon")]),
    ]
    proposals = build([*arts[:4], *claims]).state()["sections"]["proposals"]
    mine = sorted((i["object"] or "", i["sources"]) for i in proposals if [p["id"] for p in i["participants"]] == ["p"])
    assert mine == [("", 1), ("a summit with q", 2), ("new sanctions", 1)]


def test_a_newer_claims_event_replaces_the_older_for_the_same_article() -> None:
    arts = list(seed_articles().values())
    old = _claims_event(arts[0], [_event_claim("a", "sanction", ["r"], "threatened")], extractor="claims@1")
    new = _claims_event(arts[0], [_event_claim("a", "talks", ["r", "u"], "held")], extractor="claims@2")
    for order in ([arts[0], old, new], [new, old, arts[0]]):
        state = build(order).state()
        assert state["sections"]["pressure"] == []
        assert [i["kind"] for i in state["sections"]["held"]] == ["talks"]


def test_apply_returns_the_view_and_snapshot_round_trips() -> None:
    view = TalksView()
    for env in seed_events():
        assert apply(view, env) is view
    view.refresh()
    again = TalksView.from_snapshot(view.to_snapshot())
    assert again.canonical_hash() == view.canonical_hash()
    assert again.seen.export() == view.seen.export() and set(again.seen) == set(view.seen)


def test_refresh_reports_changes_once() -> None:
    view = TalksView()
    for env in seed_events():
        view.apply(env)
    first = view.refresh()
    assert first and all(c.change == "created" for c in first)
    assert view.refresh() == []
    ids = {c.item_id for c in first}
    assert len(ids) == len(first)


def test_a_refresh_rebuilds_the_touched_item_not_its_neighbours() -> None:
    """The counts of a category are one region (a count that names no place may join any): a new
    count at one place rebuilds that place's item, and the others are kept as they were."""
    arts = list(seed_articles().values())
    view = build(
        [
            *arts[:3],
            _claims_event(arts[0], [_count_claim("k1", "killed", 1, place="kyiv")]),
            _claims_event(arts[1], [_count_claim("k2", "killed", 3, place="odesa")]),
        ]
    )
    before = {i["place"]: i for i in view.state()["sections"]["violence"] if i["kind"] == "killed"}
    assert set(before) == {"kyiv", "odesa"}
    kept = view._items[before["odesa"]["id"]]  # (its JSON)
    view.apply(_claims_event(arts[2], [_count_claim("k3", "killed", 2, place="kyiv")]))
    changes = view.refresh()
    assert [(c.change, c.item_id) for c in changes if c.section == "violence"] == [("updated", before["kyiv"]["id"])]
    assert view._items[before["odesa"]["id"]] is kept  # not built again
    assert view.item(before["kyiv"]["id"])["sources"] == 2


def _entities_event(article: Envelope, names: dict[str, str]) -> Envelope:
    data = {
        "article_id": article.data["article_id"],
        "revision": article.data["revision"],
        "extractor": "test@1",
        "outcome": {"status": "ok", "reason": None},
        "entities": [
            {"id": eid, "name": name, "type": "PERSON", "mentions": [], "count": 1, "salience": 0.5}
            for eid, name in names.items()
        ],
    }
    return synthetic.derived(article, events.ENTITIES_EXTRACTED, data, "test@1")


def test_a_name_that_changes_after_a_refresh_reaches_items_not_touched_since() -> None:
    """Most articles now call an entity otherwise: every item naming it shows the new name, also
    the ones whose facts did not change (they are rebuilt, not kept), and so do the stories."""
    arts = list(seed_articles().values())
    view = build(
        [
            *arts[:3],
            _entities_event(arts[0], {"x-one": "Xavier One"}),
            _claims_event(arts[0], [_event_claim("a", "call", ["x-one", "x-two"], "planned")]),
        ]
    )
    (call,) = [i for i in view.state()["sections"]["upcoming"] if i["kind"] == "call"]
    assert [p["name"] for p in call["participants"]] == ["Xavier One", "X Two"]
    view.apply(_entities_event(arts[1], {"x-one": "X. One"}))
    view.apply(_entities_event(arts[2], {"x-one": "X. One"}))
    view.refresh()
    assert [p["name"] for p in view.item(call["id"])["participants"]] == ["X. One", "X Two"]
    story_names = [e["name"] for story in view.state()["sections"]["stories"] for e in story["entities"]]
    assert "X. One" in story_names and "Xavier One" not in story_names


def test_a_dropped_view_is_freed_without_the_cycle_collector() -> None:
    """The projector freezes its heap out of the collector's sight (``pacing.settle_heap``), so a
    view it drops must go by reference counting alone: nothing the view keeps (item builders
    included) may point back at it."""
    view = build(seed_events(), keep_builders=1)
    assert view._builders
    assert sys.getrefcount(view) == 2  # (this name and the call's argument: nothing points back)


def test_a_large_item_that_gains_a_signature_folds_it_into_its_builder() -> None:
    """An item of many facts keeps its builder; a count that names no place (and says its number)
    joins it (the head signature stays), so its facts are folded in — and the item equals one
    built from scratch."""
    arts = list(seed_articles().values())
    many = [_count_claim(f"k{i}", "killed", 2, place="kyiv") for i in range(view_module.KEEP_BUILDER_FACTS)]
    first = [*arts[:2], _claims_event(arts[0], many)]
    view = build(first)
    (item,) = [i for i in view.state()["sections"]["violence"] if i["kind"] == "killed"]
    builder, _groups = view._builders[item["id"]]
    vague = _claims_event(arts[1], [_count_claim("v1", "killed", 2)])
    view.apply(vague)
    changes = view.refresh()
    assert [(c.change, c.item_id) for c in changes if c.section == "violence"] == [("updated", item["id"])]
    assert view._builders[item["id"]][0] is builder  # folded into, not built anew
    grown = view.item(item["id"])
    assert grown == build([*first, vague]).item(item["id"])
    assert grown is not None and grown["sources"] == 2 and len(grown["values"]) == 1


_LARGE = build(e for e in synthetic.claim_stream(400, articles=120))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 60), st.integers(0, 200))
def test_the_summary_and_section_pages_are_the_state_cut_short(limit: int, offset: int) -> None:
    """What the page fetches is exactly the start of what /api/state holds, with the totals;
    and /api/state lists each section as a sort of its items at the time of reading would."""
    state, summary = _LARGE.state(), _LARGE.summary(limit)
    every = [i for i in map(_LARGE.item, _LARGE._items) if i and i["section"] != "ceasefire"]
    for name, rows in state["sections"].items():
        assert rows == sorted((i for i in every if i["section"] == name), key=rank_key)
    assert sum(len(rows) for rows in state["sections"].values()) == len(every)
    assert summary["counts"] == state["counts"] and summary["view_version"] == state["view_version"]
    for name, rows in state["sections"].items():
        assert summary["sections"][name] == rows[:limit]
        page = _LARGE.section_page(name, offset, limit)
        assert page is not None and page["items"] == rows[offset : offset + limit] and page["total"] == len(rows)
    assert summary["conflicts_total"] == len(state["conflicts"])
    assert all(c in state["conflicts"] for c in summary["conflicts"])
    shown = {c["item_id"] for c in summary["conflicts"]}
    assert len(shown) == min(limit, len({c["item_id"] for c in state["conflicts"]}))
    assert _LARGE.section_page("nothing", 0, limit) is None


def _quote_claim(cid: str, speaker: str, text: str) -> dict[str, Any]:
    sentence = f'"{text}," {speaker} said.'
    return {
        "id": cid,
        "kind": "quote",
        "asserted_by": {"kind": "source", "entity": speaker, "text": speaker},
        "confidence": 0.9,
        "evidence": {"start": 0, "end": 5, "sentence_start": 0, "sentence_end": len(sentence), "sentence": sentence},
        "quote": {"speaker": {"entity": speaker, "text": speaker}, "cue": "said", "text": text, "direct": True},
    }


def test_a_party_keeps_its_item_as_it_says_more() -> None:
    """A party's statements are one item whose id does not depend on what was said: each quote
    had a signature of its own words, and one whose words sorted first renamed the party's item
    (removed and created again downstream)."""
    arts = list(seed_articles().values())
    view = build([arts[0], _claims_event(arts[0], [_quote_claim("q1", "x-one", "zebras roam")])])
    (party,) = view.state()["sections"]["parties"]
    view.apply(_claims_event(arts[1], [_quote_claim("q2", "x-one", "apples fall")]))
    changes = view.refresh()
    assert [(c.change, c.item_id) for c in changes if c.section == "parties"] == [("updated", party["id"])]
    (again,) = view.state()["sections"]["parties"]
    assert again["id"] == party["id"] and again["positions_total"] == 2
