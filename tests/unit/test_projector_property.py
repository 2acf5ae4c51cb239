"""Property: the view depends on the set of events, not on their order, duplicates or restarts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from consumers.projector.view import TalksView, build
from tests.unit.projector_support import seed_events

EVENTS = seed_events()
EXPECTED = build(EVENTS).canonical_hash()


@st.composite
def deliveries(draw: st.DrawFn) -> list[int]:
    """A delivery order of the seed events: a permutation with duplicates and redeliveries."""
    order = draw(st.permutations(range(len(EVENTS))))
    extra = draw(st.lists(st.integers(0, len(EVENTS) - 1), max_size=10))
    out = list(order)
    for i, e in enumerate(extra):
        out.insert(draw(st.integers(0, len(out))) if i % 2 else len(out), e)
    return out


@settings(max_examples=40, deadline=None)
@given(deliveries())
def test_any_interleaving_with_duplicates_yields_the_same_view(order: list[int]) -> None:
    assert build(EVENTS[i] for i in order).canonical_hash() == EXPECTED


@settings(max_examples=25, deadline=None)
@given(deliveries(), st.integers(0, 20), st.booleans())
def test_restart_from_checkpoint_equals_rebuild(order: list[int], cut: int, refresh_before: bool) -> None:
    """Stop after ``cut`` deliveries, checkpoint, restore, redeliver from an earlier point, go on."""
    cut = min(cut, len(order))
    first = TalksView()
    for i in order[:cut]:
        first.apply(EVENTS[i])
    if refresh_before:
        first.refresh()
    restored = TalksView.from_snapshot(first.to_snapshot())
    redeliver_from = max(0, cut - 3)  # at-least-once: some events come again after the restart
    for i in order[redeliver_from:]:
        restored.apply(EVENTS[i])
    restored.refresh()
    assert restored.canonical_hash() == EXPECTED


@settings(max_examples=40, deadline=None)
@given(deliveries(), st.sets(st.integers(0, 40), max_size=8))
def test_refreshes_along_the_way_do_not_change_the_view(order: list[int], refresh_at: set[int]) -> None:
    """A refresh rebuilds only what was touched since the last one and keeps the rest: with
    refreshes anywhere in any delivery order (articles after their claims, names that change),
    the view is the one built at once. Every item keeps its builder here (not only large ones), so
    new facts are folded into kept builders wherever they can be."""
    view = TalksView(keep_builders=1)
    for n, i in enumerate(order):
        view.apply(EVENTS[i])
        if n in refresh_at:
            view.refresh()
    view.refresh()
    assert view.canonical_hash() == EXPECTED
