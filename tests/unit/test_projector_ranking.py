"""The section ranking kept as items change equals sorting the items at each read."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from consumers.projector.ranking import SectionRanking, rank_key

TIMES = [
    None,
    "2026-01-02T10:00:00Z",
    "2026-01-02T09:59:59Z",
    "2026-01-10T00:00:00Z",
    "2026-01-02T10:00:00.5Z",
    "2026-01-02T10:00:00+01:00",
    "2026-01-02T10:00:00Z\u00e9",
]

items = st.fixed_dictionaries(
    {
        "id": st.sampled_from([f"item-{i}" for i in range(8)]),
        "section": st.sampled_from(["held", "upcoming", "violence"]),
        "sources": st.integers(0, 3),
        "last_seen": st.sampled_from(TIMES),
        "conflicts": st.lists(st.just({"about": "place"}), max_size=2),
    }
)
ops = st.lists(st.one_of(items, st.sampled_from([f"item-{i}" for i in range(8)])), max_size=40)


def _latest_first(a: str | None, b: str | None) -> bool:
    return (a or "") > (b or "")


@settings(max_examples=300, deadline=None)
@given(ops, st.integers(0, 6), st.integers(0, 6))
def test_pages_equal_a_sort_of_the_items_at_each_read(steps: list[Any], offset: int, limit: int) -> None:
    """Any sequence of puts (new items, changed ones, moved between sections) and removals."""
    ranking, live = SectionRanking(), {}
    for step in steps:
        if isinstance(step, str):
            ranking.remove(step)
            live.pop(step, None)
        else:
            ranking.put(step)
            live[step["id"]] = step
        for section in ("held", "upcoming", "violence"):
            expected = sorted((i for i in live.values() if i["section"] == section), key=rank_key)
            assert list(ranking.page(section)) == [i["id"] for i in expected]
            assert list(ranking.page(section, offset, limit)) == [i["id"] for i in expected][offset : offset + limit]
            assert ranking.size(section) == len(expected)
        disputed = sorted((i for i in live.values() if i["conflicts"]), key=rank_key)
        assert list(ranking.disputed(limit)) == [i["id"] for i in disputed][:limit]
        assert ranking.conflicts == sum(len(i["conflicts"]) for i in live.values())


@given(st.sampled_from(TIMES), st.sampled_from(TIMES))
def test_the_later_time_ranks_first(a: str | None, b: str | None) -> None:
    """Among items of as many sources, the latest first (whatever characters the time holds;
    an item whose articles are not in yet has no time)."""
    ka = rank_key({"id": "x", "sources": 1, "last_seen": a})
    kb = rank_key({"id": "x", "sources": 1, "last_seen": b})
    if a and b and not a.startswith(b) and not b.startswith(a):
        assert (ka < kb) == _latest_first(a, b)


def test_more_sources_rank_first_and_ids_break_ties() -> None:
    one = {"id": "b", "sources": 1, "last_seen": "2026-01-03T00:00:00Z"}
    two = {"id": "c", "sources": 2, "last_seen": "2026-01-01T00:00:00Z"}
    tie = {"id": "a", "sources": 1, "last_seen": "2026-01-03T00:00:00Z"}
    assert sorted([one, two, tie], key=rank_key) == [two, tie, one]
