"""What a checkpoint writes (pure): the saved rows, brought up to date by each delta, always equal
the state; a delta that was not written is carried by the next one."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from consumers.projector.rows import Parts, SavedRows, Section, TrackedDict, chunked, nest, unchunk

KEYS = st.sampled_from([f"k{i}" for i in range(8)])
STATES = st.dictionaries(st.sampled_from(["a", "b.c", "b.d"]), st.dictionaries(KEYS, st.integers(0, 3)), max_size=3)


def _apply(saved: dict[tuple[str, str], Any], delta: Any) -> None:
    if delta.full:
        saved.clear()
    for section, key in delta.deletes:
        saved.pop((section, key), None)
    for section, key, row in delta.upserts:
        saved[(section, key)] = row


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(STATES, st.booleans()), min_size=1, max_size=8))
def test_saved_rows_follow_the_state_through_any_sequence_of_checkpoints(
    steps: list[tuple[dict[str, Any], bool]],
) -> None:
    tracker = SavedRows()
    saved: dict[tuple[str, str], Any] = {}
    for state, commits in steps:
        # values are replaced when they change (a new object), as the view's records are
        sections = {name: Section({k: [v] for k, v in keyed.items()}, list) for name, keyed in state.items()}
        delta = tracker.delta(sections)
        if not commits:  # the transaction failed: nothing written, nothing recorded
            continue
        _apply(saved, delta)
        tracker.written(delta)
        assert saved == {(name, k): [v] for name, keyed in state.items() for k, v in keyed.items()}


def test_an_unchanged_state_writes_nothing_and_a_length_token_sees_a_list_grow() -> None:
    ids = ["e1"]
    values = {"r": ("x",)}
    sections = {"records": Section(values, list), "steps": Section({"1": ids}, sorted, len)}
    tracker = SavedRows()
    first = tracker.delta(sections)
    assert first.full and len(first.upserts) == 2
    tracker.written(first)
    assert not tracker.delta(sections).upserts
    ids.append("e0")
    grown = tracker.delta(sections)
    assert grown.upserts == [("steps", "1", ["e0", "e1"])] and not grown.full


def test_parts_nest_sections_at_their_dotted_names() -> None:
    head = {"applied": 2, "seen": {"forgotten": 0}}
    parts = Parts(head, {"seen.ids": Section({"5": ["b", "a"]}, sorted), "articles": Section({}, list)})
    assert parts.snapshot() == {"applied": 2, "seen": {"forgotten": 0, "ids": {"5": ["a", "b"]}}, "articles": {}}
    assert head == {"applied": 2, "seen": {"forgotten": 0}}  # the head is not changed
    assert nest({}, {"x.y.z": {"k": 1}}) == {"x": {"y": {"z": {"k": 1}}}}


@given(
    st.dictionaries(st.sampled_from(["undated", "1", "22"]), st.lists(st.integers(), max_size=40)), st.integers(1, 7)
)
def test_chunked_lists_come_back_whole_and_an_append_rewrites_only_their_last_row(
    lists: dict[str, list[int]], size: int
) -> None:
    section = chunked(lists, size)
    rows = {k: section.encode(v) for k, v in section.values.items()}
    assert unchunk(rows) == {name: items for name, items in lists.items() if items}
    tracker = SavedRows()
    tracker.written(tracker.delta({"ids": section}))
    for items in lists.values():
        items.append(-1)
    delta = tracker.delta({"ids": chunked(lists, size)})
    assert len(delta.upserts) == len(lists) and not delta.deletes


FEW_KEYS = st.sampled_from(["k0", "k1", "k2", "k3"])  # few: edits of one key meet often
EDITS = st.one_of(
    st.tuples(st.just("set"), FEW_KEYS, st.integers(0, 3)),
    st.tuples(st.just("del"), FEW_KEYS),
    st.tuples(st.just("pop"), FEW_KEYS),
    st.tuples(st.just("setdefault"), FEW_KEYS, st.integers(0, 3)),
    st.tuples(st.just("update"), st.dictionaries(FEW_KEYS, st.integers(0, 3), max_size=3)),
    st.tuples(st.just("clear")),
    st.tuples(st.just("new dict")),  # the owner swaps in another dict (a rebuilt index)
)
#: after each edit: no checkpoint, one that commits, or one whose transaction fails
CHECKPOINTS = st.sampled_from(["none", "commit", "fail"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(EDITS, CHECKPOINTS), max_size=30))
def test_a_tracked_dict_is_saved_by_its_touched_keys_through_any_edits(steps: list[tuple[Any, str]]) -> None:
    values: TrackedDict[tuple[int]] = TrackedDict()
    tracker = SavedRows()
    saved: dict[tuple[str, str], Any] = {}
    for (op, *args), checkpoint in steps:
        if op == "set":
            values[args[0]] = (args[1],)
        elif op == "del" and args[0] in values:
            del values[args[0]]
        elif op == "pop":
            values.pop(args[0], None)
        elif op == "setdefault":
            values.setdefault(args[0], (args[1],))
        elif op == "update":
            values.update({k: (v,) for k, v in args[0].items()})
        elif op == "clear":
            values.clear()
        elif op == "new dict":
            values = TrackedDict({k: v for k, v in values.items() if k < "k2"})
        if checkpoint != "none":
            delta = tracker.delta({"s": Section(values, list)})
            if checkpoint == "commit":
                _apply(saved, delta)
                tracker.written(delta)
                assert saved == {("s", k): list(v) for k, v in values.items()}
