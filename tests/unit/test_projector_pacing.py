"""The pacer bounds the share of time spent on refreshes and checkpoints while catching up."""

from __future__ import annotations

import gc
import weakref

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consumers.projector.pacing import CatchUpCollector, Pacer, settle_heap


def test_first_run_is_due_at_once_then_waits_in_proportion_to_its_cost() -> None:
    pacer = Pacer(share=0.25)
    assert pacer.due(0.0)
    pacer.ran(10.0, 12.0)  # took 2 s: at most a quarter of the time → 6 s of other work first
    assert not pacer.due(17.9)
    assert pacer.due(18.0)


def test_min_interval_holds_when_runs_are_cheap() -> None:
    pacer = Pacer(share=0.2, min_interval_s=1.0)
    pacer.ran(5.0, 5.001)
    assert not pacer.due(5.5)
    assert pacer.due(6.001)


@pytest.mark.parametrize("share", [0.0, -0.1, 1.5])
def test_share_out_of_range_is_refused(share: float) -> None:
    with pytest.raises(ValueError, match="share"):
        Pacer(share=share)


@given(st.floats(0.05, 1.0), st.lists(st.floats(0.001, 5.0), min_size=1, max_size=50))
def test_paced_work_never_exceeds_its_share(share: float, costs: list[float]) -> None:
    """Running whenever due, with work costing what it does, the work's share stays bounded."""
    pacer = Pacer(share=share)
    now, busy = 0.0, 0.0
    for cost in costs:
        while not pacer.due(now):
            now += 0.01  # other work (applying events)
        pacer.ran(now, now + cost)
        now += cost
        busy += cost
    # every run but the last was followed by its wait: busy ≤ share of the time, plus the last run
    assert busy - costs[-1] <= share * (now - costs[-1]) + 1e-6


def test_settled_objects_are_still_freed_when_dropped() -> None:
    """``settle_heap`` hides survivors from the collector; reference counting still frees them."""

    class Node:
        pass

    node = Node()
    gone = weakref.ref(node)
    try:
        settle_heap()
        assert gc.get_freeze_count() > 0
        del node
        assert gone() is None
    finally:
        gc.unfreeze()


def test_catching_up_pauses_the_collector_and_still_collects_cycles_within_a_bound() -> None:
    """Paused while behind, the collector still takes cyclic garbage once the young objects pass
    ``max_young``; caught up, it runs on its own again."""

    class Node:
        other: object = None

    collector = CatchUpCollector(max_young=1_000)
    assert gc.isenabled()
    try:
        collector.catching_up()
        assert not gc.isenabled() and collector.paused
        a, b = Node(), Node()
        a.other, b.other = b, a  # a cycle: reference counting alone never frees it
        gone = weakref.ref(a)
        del a, b
        kept = [[i] for i in range(2_000)]  # young objects past the bound
        collector.catching_up()
        assert gone() is None and not gc.isenabled()
        collector.caught_up()
        assert gc.isenabled() and not collector.paused
        assert kept[-1] == [1_999]
    finally:
        gc.enable()
        gc.unfreeze()
