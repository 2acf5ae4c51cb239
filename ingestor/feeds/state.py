"""The ingestor's durable state: one SQLite file in ``NEWSWIRE_DATA_DIR`` (survives restarts).

* ``feeds``: per feed, the validators (ETag and Last-Modified, stored separately), schedule,
  consecutive failures and health, for conditional GET and for ``newswire feeds status``;
* ``entries``: entry key → fingerprint per feed, so an unchanged entry is not fetched again;
* ``articles``: article id → last published revision and MinHash signature, so the same article
  from several feeds is published once and a changed text becomes a new revision;
* ``aliases``: the id of an entry's link → the article id after redirects.

Growth is bounded: :meth:`State.prune` keeps the newest rows of each table. A pruned article
seen again is re-published with the same event id, which consumers drop (at-least-once).

Everything about one poll is written in one transaction, after the broker acknowledged the poll's
events: a crash in between re-publishes (same ids) instead of losing articles.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
  name TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  etag TEXT,
  last_modified TEXT,
  failures INTEGER NOT NULL DEFAULT 0,
  next_poll REAL,
  last_poll REAL,
  last_success REAL,
  last_outcome TEXT,
  last_error TEXT,
  polls INTEGER NOT NULL DEFAULT 0,
  not_modified INTEGER NOT NULL DEFAULT 0,
  entries_total INTEGER NOT NULL DEFAULT 0,
  published_total INTEGER NOT NULL DEFAULT 0,
  title TEXT
);
CREATE TABLE IF NOT EXISTS entries (
  feed TEXT NOT NULL,
  entry_key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  article_id TEXT,
  seen_at REAL NOT NULL,
  PRIMARY KEY (feed, entry_key)
);
CREATE INDEX IF NOT EXISTS entries_seen ON entries(seen_at);
CREATE TABLE IF NOT EXISTS articles (
  article_id TEXT PRIMARY KEY,
  url TEXT,
  revision TEXT NOT NULL,
  signature BLOB,
  published_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published_at);
CREATE TABLE IF NOT EXISTS aliases (
  alias_id TEXT PRIMARY KEY,
  article_id TEXT NOT NULL,
  seen_at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class FeedState:
    name: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    failures: int = 0
    next_poll: float | None = None
    last_poll: float | None = None
    last_success: float | None = None
    last_outcome: str | None = None
    last_error: str | None = None
    polls: int = 0
    not_modified: int = 0
    entries_total: int = 0
    published_total: int = 0
    title: str | None = None


@dataclass(frozen=True)
class SeenEntry:
    entry_key: str
    fingerprint: str
    article_id: str | None


@dataclass(frozen=True)
class PublishedArticle:
    article_id: str
    url: str | None
    revision: str
    signature: bytes | None
    aliases: tuple[str, ...] = ()


class State:
    """Thread-safe access to the SQLite file (one connection, one lock; WAL journal)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- reads ---------------------------------------------------------------------------------

    def feed(self, name: str, url: str) -> FeedState:
        with self._lock:
            row = self._db.execute(
                "SELECT name,url,etag,last_modified,failures,next_poll,last_poll,last_success,last_outcome,"
                "last_error,polls,not_modified,entries_total,published_total,title FROM feeds WHERE name=?",
                (name,),
            ).fetchone()
        if row is None:
            return FeedState(name, url)
        st = FeedState(*row)
        if st.url != url:  # the feed moved in the config: its validators belong to the old URL
            return FeedState(name, url, failures=0, polls=st.polls, title=st.title)
        return st

    def feeds(self) -> list[FeedState]:
        with self._lock:
            rows = self._db.execute(
                "SELECT name,url,etag,last_modified,failures,next_poll,last_poll,last_success,last_outcome,"
                "last_error,polls,not_modified,entries_total,published_total,title FROM feeds ORDER BY name"
            ).fetchall()
        return [FeedState(*r) for r in rows]

    def seen_entries(self, feed: str, keys: Iterable[str]) -> dict[str, SeenEntry]:
        out: dict[str, SeenEntry] = {}
        keys = list(keys)
        with self._lock:
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                marks = ",".join("?" * len(chunk))
                for key, fp, aid in self._db.execute(
                    f"SELECT entry_key,fingerprint,article_id FROM entries WHERE feed=? AND entry_key IN ({marks})",
                    (feed, *chunk),
                ):
                    out[key] = SeenEntry(key, fp, aid)
        return out

    def article_revision(self, article_id: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT revision FROM articles WHERE article_id=?", (article_id,)).fetchone()
        return str(row[0]) if row else None

    def alias(self, alias_id: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT article_id FROM aliases WHERE alias_id=?", (alias_id,)).fetchone()
        return str(row[0]) if row else None

    def signatures(self, limit: int) -> Iterator[tuple[str, bytes]]:
        """The newest ``limit`` article signatures, oldest first (to rebuild the near-dup index)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT article_id, signature FROM (SELECT article_id, signature, published_at FROM articles "
                "WHERE signature IS NOT NULL ORDER BY published_at DESC LIMIT ?) ORDER BY published_at",
                (limit,),
            ).fetchall()
        for aid, sig in rows:
            yield str(aid), bytes(sig)

    # -- one poll, one transaction -------------------------------------------------------------

    def record_poll(
        self,
        feed: FeedState,
        *,
        outcome: str,
        now: float,
        next_poll: float,
        etag: str | None,
        last_modified: str | None,
        keep_validators: bool,
        error: str | None,
        title: str | None,
        entries: Iterable[SeenEntry],
        articles: Iterable[PublishedArticle],
        new_entries: int,
    ) -> None:
        """Persist everything one poll learned, atomically (``keep_validators``: store the new
        ETag/Last-Modified, which the caller allows only when every entry was handled)."""
        ok = outcome in ("ok", "not_modified")
        # A failed request changes nothing the validators describe; a malformed or interrupted
        # poll must not be answered 304 next time (its entries were not all handled).
        keep_old = outcome in ("not_modified", "error")
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                published = self._items(feed.name, entries, articles, now)
                # counters are increments, so that chunks recorded during the poll add up
                db.execute(
                    "INSERT INTO feeds(name,url,etag,last_modified,failures,next_poll,last_poll,last_success,"
                    "last_outcome,last_error,polls,not_modified,entries_total,published_total,title) "
                    "VALUES(?,?,?,?,?,?,?,?,?,?,1,?,?,?,?) ON CONFLICT(name) DO UPDATE SET url=excluded.url, "
                    "etag=excluded.etag, last_modified=excluded.last_modified, failures=excluded.failures, "
                    "next_poll=excluded.next_poll, last_poll=excluded.last_poll, last_success=excluded.last_success, "
                    "last_outcome=excluded.last_outcome, last_error=excluded.last_error, polls=feeds.polls + 1, "
                    "not_modified=feeds.not_modified + excluded.not_modified, "
                    "entries_total=feeds.entries_total + excluded.entries_total, "
                    "published_total=feeds.published_total + excluded.published_total, title=excluded.title",
                    (
                        feed.name,
                        feed.url,
                        etag if keep_validators else feed.etag if keep_old else None,
                        last_modified if keep_validators else feed.last_modified if keep_old else None,
                        0 if ok else feed.failures + 1,
                        next_poll,
                        now,
                        now if ok else feed.last_success,
                        outcome,
                        error,
                        1 if outcome == "not_modified" else 0,
                        new_entries,
                        published,
                        title or feed.title,
                    ),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def record_progress(
        self,
        feed: FeedState,
        *,
        now: float,
        entries: Iterable[SeenEntry],
        articles: Iterable[PublishedArticle],
        new_entries: int,
    ) -> None:
        """Persist a chunk of a running poll (entries and articles only; validators untouched)."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                published = self._items(feed.name, entries, articles, now)
                db.execute(
                    "INSERT INTO feeds(name,url,entries_total,published_total) VALUES(?,?,?,?) "
                    "ON CONFLICT(name) DO UPDATE SET entries_total=feeds.entries_total + excluded.entries_total, "
                    "published_total=feeds.published_total + excluded.published_total",
                    (feed.name, feed.url, new_entries, published),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def _items(
        self, feed_name: str, entries: Iterable[SeenEntry], articles: Iterable[PublishedArticle], now: float
    ) -> int:
        db = self._db
        published = 0
        for art in articles:
            published += 1
            db.execute(
                "INSERT INTO articles(article_id,url,revision,signature,published_at) VALUES(?,?,?,?,?) "
                "ON CONFLICT(article_id) DO UPDATE SET revision=excluded.revision, url=excluded.url, "
                "signature=excluded.signature, published_at=excluded.published_at",
                (art.article_id, art.url, art.revision, art.signature, now),
            )
            for alias in art.aliases:
                db.execute(
                    "INSERT OR REPLACE INTO aliases(alias_id,article_id,seen_at) VALUES(?,?,?)",
                    (alias, art.article_id, now),
                )
        for e in entries:
            db.execute(
                "INSERT OR REPLACE INTO entries(feed,entry_key,fingerprint,article_id,seen_at) VALUES(?,?,?,?,?)",
                (feed_name, e.entry_key, e.fingerprint, e.article_id, now),
            )
        return published

    def prune(self, max_entries_per_feed: int = 5_000, max_articles: int = 200_000) -> int:
        """Drop the oldest rows beyond the bounds; returns how many rows were removed."""
        with self._lock:
            db = self._db
            before = db.total_changes
            db.execute(
                "DELETE FROM entries WHERE rowid IN (SELECT rowid FROM (SELECT rowid, ROW_NUMBER() OVER "
                "(PARTITION BY feed ORDER BY seen_at DESC) AS rn FROM entries) WHERE rn > ?)",
                (max_entries_per_feed,),
            )
            db.execute(
                "DELETE FROM articles WHERE article_id IN (SELECT article_id FROM articles "
                "ORDER BY published_at DESC LIMIT -1 OFFSET ?)",
                (max_articles,),
            )
            db.execute(
                "DELETE FROM aliases WHERE alias_id IN (SELECT alias_id FROM aliases "
                "ORDER BY seen_at DESC LIMIT -1 OFFSET ?)",
                (max_articles,),
            )
            return db.total_changes - before


def default_path(data_dir: Path) -> Path:
    return data_dir / "ingest.sqlite3"
