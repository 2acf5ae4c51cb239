"""Projector defects the fault suite found (SIGTERM exit, unbounded items), kept as regression tests."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from newswire.broker import wait_for_port
from tests.faults.harness import Replayer, Rig, checkpointed

pytestmark = pytest.mark.faults


def test_projector_drains_and_exits_zero_on_sigterm(tmp_path: Path) -> None:
    # Was an expected failure: uvicorn re-raised the SIGTERM it captured once Server.run returned,
    # so the process died by the signal before its final checkpoint. The projector now installs
    # its own handler first (consumers/projector/service.py), which the re-raise lands in.
    with Rig(tmp_path) as rig:
        rig.ensure_topics()
        proj, port = rig.projector(checkpoint_s=3600)  # only the final checkpoint would save the view
        proj.start()
        assert wait_for_port("127.0.0.1", port, 60), proj.tail()  # SIGTERM a running process, not its start-up
        Replayer(rig.settings, loops=1).start().join(60)
        assert proj.process is not None
        proj.process.send_signal(signal.SIGTERM)
        code = proj.process.wait(timeout=60)
        proj.stop()
        assert code == 0, proj.tail()
        checkpointed(proj, 5, 10)


def _largest_item_bytes(loops: int) -> tuple[int, int]:
    """Apply ``loops`` replays of the seeds (gold entities and claims) to a view; the largest item's size."""
    import orjson

    from consumers.projector.synthetic import gold_events
    from consumers.projector.view import TalksView
    from tests.unit.projector_support import gold, seed_articles

    view = TalksView()
    for loop in range(loops):
        for env in gold_events(seed_articles(loop), gold()):
            view.apply(env)
    view.refresh()
    state = view.state()
    items = [i for rows in state["sections"].values() for i in rows]
    return len(view.articles), max(len(orjson.dumps(i)) for i in items)


# Was an expected failure: an item listed every supporting article, so one story's item outgrew
# a Kafka record (~1,000 articles) and the state topic grew quadratically. Items now list the first
# report and the latest articles (consumers/projector/items.py MAX_LISTED_ARTICLES) with the totals.
def test_a_state_item_stays_bounded_as_articles_accumulate() -> None:
    n1, small = _largest_item_bytes(20)
    n2, large = _largest_item_bytes(80)
    assert n2 == 4 * n1
    assert large <= 1.5 * small, f"largest item {small} B at {n1} articles, {large} B at {n2}"
