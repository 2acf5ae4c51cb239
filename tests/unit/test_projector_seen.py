"""The ids of the events a view took in forget with a cutoff, never an id of a newer event."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from consumers.projector.seen import STEP_S, SeenEvents

times = st.one_of(st.none(), st.floats(0, 30 * 86400.0))


@given(st.lists(st.tuples(st.text(min_size=1, max_size=4), times), max_size=60), st.lists(st.floats(0, 40 * 86400.0)))
def test_forgetting_drops_old_ids_only_and_survives_a_checkpoint(
    added: list[tuple[str, float | None]], cuts: list[float]
) -> None:
    seen = SeenEvents()
    first: dict[str, float | None] = {}
    for event_id, epoch in added:
        seen.add(event_id, epoch)
        first.setdefault(event_id, epoch)  # (an id is filed by the time it first came with)
    for cut in cuts:
        seen.forget_before(cut)
    to = seen.forgotten_to
    for event_id, epoch in first.items():
        newer = to is None or epoch is None or epoch >= to
        within_a_step = to is not None and epoch is not None and math.floor(epoch / STEP_S) >= math.floor(to / STEP_S)
        if newer or within_a_step:
            assert event_id in seen
        else:
            assert event_id not in seen and seen.too_old(epoch)
    assert len(seen) + seen.forgotten == len(first)
    again = SeenEvents.restore(seen.export())
    assert again.export() == seen.export() and set(again) == set(seen)
    assert again.forgotten_to == to


def test_a_checkpoint_of_before_keeps_its_ids_for_ever() -> None:
    seen = SeenEvents.restore(["a", "b"])
    assert seen.forget_before(1e12) == 0 and set(seen) == {"a", "b"}
    assert seen.too_old(0.0) and not seen.too_old(None)


def test_a_checkpoint_with_ids_by_step_in_lists_is_read() -> None:
    seen = SeenEvents.restore({"undated": ["u"], "steps": {"3": ["a", "b"]}, "forgotten": 4, "forgotten_to": 7000.0})
    assert set(seen) == {"u", "a", "b"} and seen.forgotten == 4
    assert seen.forget_before(5 * STEP_S) == 2 and set(seen) == {"u"}
