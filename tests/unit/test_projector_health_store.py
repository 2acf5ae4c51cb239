"""Health rules (pure, clock passed in) and the checkpoint store (atomic view + offsets)."""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path
from typing import Any

import orjson
import pytest

from consumers.projector.health import Health
from consumers.projector.rows import Parts, Section
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


def test_a_long_restore_is_not_a_stuck_loop_and_the_stuck_clock_starts_after_it() -> None:
    h = Health(started_at=0.0, stuck_after_s=30, loop_alive=True, restoring=True)
    ok, details = h.check(500.0)  # restoring a large view for minutes
    assert ok and details["phase"] == "restoring"
    h.restored(500.0)
    assert h.check(520.0)[0] and h.check(520.0)[1]["phase"] == "consuming"
    assert not h.check(531.0)[0]  # restored, then no poll for longer than stuck_after_s


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


def _parts(applied: int, **sections: dict[str, Any]) -> Parts:
    return Parts({"applied": applied}, {name: Section(values, list) for name, values in sections.items()})


def test_store_round_trip_and_clear(tmp_path: Path) -> None:
    store = CheckpointStore.in_dir(tmp_path / "data")
    assert store.load().snapshot is None
    store.save(_parts(3, **{"x.y": {"a": (1, 2)}}), {("t", 0): 5, ("t", 1): 7}, 123.0)
    store.save(_parts(4, **{"x.y": {"a": (1, 2), "b": (3,)}}), {("t", 0): 6}, 124.0)
    saved = CheckpointStore.in_dir(tmp_path / "data").load()
    assert saved.snapshot == {"applied": 4, "x": {"y": {"a": [1, 2], "b": [3]}}}
    assert saved.offsets == {("t", 0): 6, ("t", 1): 7}
    assert saved.saved_at == 124.0
    store.clear()
    assert store.load().snapshot is None and store.load().offsets == {}


def test_a_checkpoint_writes_only_the_rows_that_changed(tmp_path: Path) -> None:
    store = CheckpointStore.in_dir(tmp_path)
    values = {f"k{i}": ("v" * 100 + str(i),) for i in range(1000)}
    first = store.save(_parts(1, s=values), {}, 1.0)
    values = {**values, "k5": ("changed",), "new": ("added",)}
    del values["k7"]
    second = store.save(_parts(2, s=values), {}, 2.0)
    assert second < first / 20  # three rows and the head, not a thousand rows
    assert store.load().snapshot == {"applied": 2, "s": {k: list(v) for k, v in values.items()}}
    # a new process does not know what the file holds: it writes every row once, stale ones go
    again = CheckpointStore.in_dir(tmp_path)
    del values["k9"]
    assert again.save(_parts(3, s=values), {}, 3.0) > first / 2
    assert again.load().snapshot == {"applied": 3, "s": {k: list(v) for k, v in values.items()}}


def test_a_process_that_restored_the_view_writes_only_what_changed_since(tmp_path: Path) -> None:
    values = {f"k{i}": ("v" * 100 + str(i),) for i in range(1000)}
    first = CheckpointStore.in_dir(tmp_path).save(_parts(1, s=values), {}, 1.0)
    again = CheckpointStore.in_dir(tmp_path)
    loaded = again.load().snapshot or {}
    restored = {k: tuple(v) for k, v in loaded["s"].items()}  # the state a view restores from it
    again.holds(_parts(1, s=restored))
    values = {**restored, "k5": ("changed",)}
    del values["k7"]
    assert again.save(_parts(2, s=values), {}, 2.0) < first / 20  # one row and the head
    assert again.load().snapshot == {"applied": 2, "s": {k: list(v) for k, v in values.items()}}


def test_store_writes_view_and_offsets_in_one_transaction(tmp_path: Path) -> None:
    store = CheckpointStore.in_dir(tmp_path)
    store.save(_parts(1, s={"a": (1,)}), {("t", 0): 1}, 1.0)
    with pytest.raises(sqlite3.Error):
        # an offset row that cannot be written (NULL topic) aborts the view update as well
        store.save(_parts(2, s={"a": (2,)}), {(None, 0): 2}, 2.0)  # type: ignore[dict-item]
    saved = store.load()
    assert saved.snapshot == {"applied": 1, "s": {"a": [1]}} and saved.offsets == {("t", 0): 1}
    # the failed checkpoint's rows are written by the next one (the store knows they were not)
    store.save(_parts(3, s={"a": (2,)}), {("t", 0): 3}, 3.0)
    assert store.load().snapshot == {"applied": 3, "s": {"a": [2]}}


def test_a_version_1_checkpoint_is_read_then_replaced_by_rows(tmp_path: Path) -> None:
    path = tmp_path / "projector.sqlite"
    db = sqlite3.connect(str(path))
    db.executescript(
        "CREATE TABLE view (id INTEGER PRIMARY KEY CHECK (id = 1), snapshot BLOB NOT NULL, "
        "view_version INTEGER NOT NULL, saved_at REAL NOT NULL);"
        "CREATE TABLE offsets (topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL, "
        "PRIMARY KEY (topic, partition));"
    )
    old = {"version": 1, "applied": 7, "articles": [["a1"]]}
    db.execute("INSERT INTO view VALUES (1, ?, 7, 5.0)", (zlib.compress(orjson.dumps(old)),))
    db.execute("INSERT INTO offsets VALUES ('t', 0, 9)")
    db.commit()
    db.close()
    store = CheckpointStore(path)
    saved = store.load()
    assert saved.snapshot == old and saved.offsets == {("t", 0): 9} and saved.saved_at == 5.0
    store.holds(_parts(7, articles={"a1": ("a1",)}))  # the rows do not hold it: written all the same
    store.save(_parts(8, articles={"a1": ("a1",)}), {("t", 0): 10}, 6.0)
    assert CheckpointStore(path).load().snapshot == {"applied": 8, "articles": {"a1": ["a1"]}}
    tables = {r[0] for r in sqlite3.connect(str(path)).execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "view" not in tables
