"""Health rules (pure, clock passed in) and the checkpoint store (atomic view + offsets)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from consumers.projector.health import Health
from consumers.projector.store import CheckpointStore


def test_healthy_while_polling() -> None:
    h = Health(started_at=0.0, loop_alive=True)
    h.polled(1.0, 0)
    ok, details = h.check(2.0)
    assert ok and details["status"] == "ok"


def test_unhealthy_when_the_loop_is_dead_or_stuck() -> None:
    h = Health(started_at=0.0, stuck_after_s=30)
    assert not h.check(1.0)[0]  # never started
    h.loop_alive = True
    h.polled(1.0, 0)
    assert h.check(20.0)[0]
    ok, details = h.check(40.0)
    assert not ok and "no poll" in details["problems"][0]
    h.loop_error = "StageFatal: broker did not acknowledge"
    assert "failed" in h.check(40.0)[1]["problems"][0]


def test_lag_that_only_grows_fails_but_a_busy_consumer_does_not() -> None:
    h = Health(started_at=0.0, window_s=100, lag_floor=1000, loop_alive=True)
    for t in range(0, 101, 10):
        h.polled(float(t), 2000 + t * 50)
    ok, details = h.check(100.0)
    assert not ok and "grows" in details["problems"][0]
    busy = Health(started_at=0.0, window_s=100, lag_floor=1000, loop_alive=True)
    for t in range(0, 101, 10):
        busy.polled(float(t), 5000 - t * 10 if t % 20 else 5000)  # goes up and down: catching up
    assert busy.check(100.0)[0]


def test_store_round_trip_and_clear(tmp_path: Path) -> None:
    store = CheckpointStore.in_dir(tmp_path / "data")
    assert store.load().snapshot is None
    store.save({"applied": 3, "x": [1, 2]}, {("t", 0): 5, ("t", 1): 7}, 123.0)
    store.save({"applied": 4, "x": [1, 2, 3]}, {("t", 0): 6}, 124.0)
    saved = CheckpointStore.in_dir(tmp_path / "data").load()
    assert saved.snapshot == {"applied": 4, "x": [1, 2, 3]}
    assert saved.offsets == {("t", 0): 6, ("t", 1): 7}
    assert saved.saved_at == 124.0
    store.clear()
    assert store.load().snapshot is None and store.load().offsets == {}


def test_store_writes_view_and_offsets_in_one_transaction(tmp_path: Path) -> None:
    store = CheckpointStore.in_dir(tmp_path)
    store.save({"applied": 1}, {("t", 0): 1}, 1.0)
    with pytest.raises(sqlite3.Error):
        # an offset row that cannot be written (NULL topic) aborts the view update as well
        store.save({"applied": 2}, {(None, 0): 2}, 2.0)  # type: ignore[dict-item]
    saved = store.load()
    assert saved.snapshot == {"applied": 1} and saved.offsets == {("t", 0): 1}
