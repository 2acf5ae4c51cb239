"""The projector's checkpoint: the view and the consumed offsets, written in ONE SQLite transaction.

A restart loads both and seeks to the saved offsets, so it resumes instead of replaying; events
between the saved offsets and a crash are consumed again and dropped by id (the view keeps the
ids it applied). ``--rebuild`` deletes the checkpoint and replays from offset 0.
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

SCHEMA = """
CREATE TABLE IF NOT EXISTS view (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  snapshot BLOB NOT NULL,
  view_version INTEGER NOT NULL,
  saved_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS offsets (
  topic TEXT NOT NULL,
  partition INTEGER NOT NULL,
  next_offset INTEGER NOT NULL,
  PRIMARY KEY (topic, partition)
);
"""

Offsets = dict[tuple[str, int], int]


@dataclass(frozen=True)
class Saved:
    snapshot: dict[str, Any] | None
    offsets: Offsets
    saved_at: float | None


class CheckpointStore:
    """One SQLite file per projector (``<data dir>/projector.sqlite``)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    @classmethod
    def in_dir(cls, data_dir: Path, name: str = "projector.sqlite") -> CheckpointStore:
        return cls(data_dir / name)

    def load(self) -> Saved:
        row = self._db.execute("SELECT snapshot, saved_at FROM view WHERE id = 1").fetchone()
        offsets = {
            (t, int(p)): int(o) for t, p, o in self._db.execute("SELECT topic, partition, next_offset FROM offsets")
        }
        if row is None:
            return Saved(None, offsets, None)
        return Saved(orjson.loads(zlib.decompress(row[0])), offsets, float(row[1]))

    def save(self, snapshot: Mapping[str, Any], offsets: Mapping[tuple[str, int], int], saved_at: float) -> int:
        """Write the view and the offsets atomically; returns the compressed snapshot size."""
        blob = zlib.compress(orjson.dumps(snapshot), 1)
        cur = self._db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            cur.execute(
                "INSERT INTO view (id, snapshot, view_version, saved_at) VALUES (1, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET snapshot = excluded.snapshot, "
                "view_version = excluded.view_version, saved_at = excluded.saved_at",
                (blob, int(snapshot.get("applied", 0)), saved_at),
            )
            cur.executemany(
                "INSERT INTO offsets (topic, partition, next_offset) VALUES (?, ?, ?) "
                "ON CONFLICT(topic, partition) DO UPDATE SET next_offset = excluded.next_offset",
                [(t, p, o) for (t, p), o in sorted(offsets.items())],
            )
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        return len(blob)

    def clear(self) -> None:
        """Forget the checkpoint (``--rebuild``)."""
        cur = self._db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        cur.execute("DELETE FROM view")
        cur.execute("DELETE FROM offsets")
        cur.execute("COMMIT")

    def close(self) -> None:
        self._db.close()
