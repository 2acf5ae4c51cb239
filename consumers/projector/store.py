"""The projector's checkpoint: the view and the consumed offsets, written in ONE SQLite transaction.

A restart loads both and seeks to the saved offsets, so it resumes instead of replaying; events
between the saved offsets and a crash are consumed again and dropped by id (the view keeps the
ids it applied). ``--rebuild`` deletes the checkpoint and replays from offset 0.

The view is stored as rows (one per article's record, story signature, step of event ids: see
:mod:`consumers.projector.rows`) beside a small head, and a checkpoint writes only the rows that
changed since the one before: its cost follows what changed, not the size of the view. A process
that restored its view from the rows tells the store so (:meth:`CheckpointStore.holds`), and its
first checkpoint writes what changed since; otherwise the first writes all rows (it does not know
what the file holds). A checkpoint of version 1 (the whole view in one blob, table ``view``) is
read, and replaced by rows at the next.
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from consumers.projector.rows import Parts, SavedRows, nest

SCHEMA = """
CREATE TABLE IF NOT EXISTS head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  head BLOB NOT NULL,
  view_version INTEGER NOT NULL,
  saved_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS rows (
  section TEXT NOT NULL,
  key TEXT NOT NULL,
  row BLOB NOT NULL,
  PRIMARY KEY (section, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS offsets (
  topic TEXT NOT NULL,
  partition INTEGER NOT NULL,
  next_offset INTEGER NOT NULL,
  PRIMARY KEY (topic, partition)
);
"""

#: Version 1 kept the whole view in this table (read, then dropped at the next checkpoint).
LEGACY_TABLE = "view"

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
        self._saved = SavedRows()  # what the rows hold, as of this process's last checkpoint
        self._loaded_rows = False  # the last load read rows (not nothing, not a version-1 blob)
        self._loaded_keys: dict[str, set[str]] = {}  # … and the keys of each section it read

    @classmethod
    def in_dir(cls, data_dir: Path, name: str = "projector.sqlite") -> CheckpointStore:
        return cls(data_dir / name)

    def load(self) -> Saved:
        """The last checkpoint, read in one transaction (a reader beside a running projector sees
        one checkpoint whole, not the head of one and the rows of the next)."""
        self._db.execute("BEGIN")
        try:
            return self._read()
        finally:
            self._db.execute("COMMIT")

    def _read(self) -> Saved:
        self._loaded_rows = False
        self._loaded_keys = {}
        offsets = {
            (t, int(p)): int(o) for t, p, o in self._db.execute("SELECT topic, partition, next_offset FROM offsets")
        }
        row = self._db.execute("SELECT head, saved_at FROM head WHERE id = 1").fetchone()
        if row is None:
            legacy = self._legacy()
            if legacy is None:
                return Saved(None, offsets, None)
            return Saved(orjson.loads(zlib.decompress(legacy[0])), offsets, float(legacy[1]))
        self._loaded_rows = True
        head = orjson.loads(row[0])
        sections: dict[str, dict[str, Any]] = {name: {} for name in head["sections"]}  # empty ones too
        for section, key, blob in self._db.execute("SELECT section, key, row FROM rows"):
            sections[section][key] = orjson.loads(zlib.decompress(blob))
        self._loaded_keys = {name: set(rows) for name, rows in sections.items()}
        return Saved(nest(head["head"], sections), offsets, float(row[1]))

    def holds(self, parts: Parts) -> None:
        """The view was just restored from what :meth:`load` returned, and ``parts`` are its state:
        the rows hold exactly that, so the next checkpoint writes only what changes from here
        (not every row again: ~10 s at 100k events); rows the view did not take back are deleted
        then. After a version-1 load it changes nothing."""
        if self._loaded_rows:
            self._saved.assume(parts.sections, self._loaded_keys)
        self._loaded_keys = {}

    def _legacy(self) -> tuple[bytes, float] | None:
        if not self._has_legacy():
            return None
        row = self._db.execute(f"SELECT snapshot, saved_at FROM {LEGACY_TABLE} WHERE id = 1").fetchone()
        return None if row is None else (bytes(row[0]), float(row[1]))

    def _has_legacy(self) -> bool:
        found = self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (LEGACY_TABLE,))
        return found.fetchone() is not None

    def save(self, parts: Parts, offsets: Mapping[tuple[str, int], int], saved_at: float) -> int:
        """Write what changed of the view, and the offsets, atomically; returns the bytes written
        (compressed rows and head)."""
        delta = self._saved.delta(parts.sections)
        head = orjson.dumps({"head": parts.head, "sections": sorted(parts.sections)})
        upserts = [(section, key, zlib.compress(orjson.dumps(row), 1)) for section, key, row in delta.upserts]
        cur = self._db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            if delta.full:
                cur.execute("DELETE FROM rows")
                if self._has_legacy():
                    cur.execute(f"DROP TABLE {LEGACY_TABLE}")
            cur.executemany("DELETE FROM rows WHERE section = ? AND key = ?", delta.deletes)
            cur.executemany(
                "INSERT INTO rows (section, key, row) VALUES (?, ?, ?) "
                "ON CONFLICT(section, key) DO UPDATE SET row = excluded.row",
                upserts,
            )
            cur.execute(
                "INSERT INTO head (id, head, view_version, saved_at) VALUES (1, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET head = excluded.head, "
                "view_version = excluded.view_version, saved_at = excluded.saved_at",
                (head, int(parts.head.get("applied", 0)), saved_at),
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
        self._saved.written(delta)
        return len(head) + sum(len(blob) for _, _, blob in upserts)

    def clear(self) -> None:
        """Forget the checkpoint (``--rebuild``)."""
        cur = self._db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        cur.execute("DELETE FROM head")
        cur.execute("DELETE FROM rows")
        if self._has_legacy():
            cur.execute(f"DROP TABLE {LEGACY_TABLE}")
        cur.execute("DELETE FROM offsets")
        cur.execute("COMMIT")
        self._saved.forget()
        self._loaded_rows = False
        self._loaded_keys = {}

    def close(self) -> None:
        self._db.close()
