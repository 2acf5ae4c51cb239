"""``newswire replay``: article text files → ``newswire.article.ingested`` events.

The edge around :mod:`ingestor.seeds`: reads files and manifests, paces, publishes, reports.
Replaying the same files twice yields the same event ids, so downstream sees each article once.
"""

from __future__ import annotations

import logging
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import orjson

from ingestor.seeds import Debris, Rejection, SeedMeta, decode_text, parse_article_text
from newswire import ids, logs
from newswire.bus import Publisher, Shutdown, make_producer, with_broker_retry
from newswire.events import Envelope, encode
from newswire.records import ArticleIngested
from newswire.settings import Settings
from newswire.topics import ARTICLES

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
#: events in flight before waiting for acknowledgements (bounds memory, keeps the pipe full)
FLUSH_EVERY = 10_000


@dataclass
class ReplayReport:
    published: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"published {len(self.published)}, skipped {len(self.duplicates)} duplicate(s), "
            f"rejected {len(self.rejected)}"
        ]
        lines += [f"  rejected {r.name}: {r.reason}: {r.message}" for r in self.rejected]
        lines += [f"  duplicate {d}" for d in self.duplicates]
        return "\n".join(lines)


def collect_files(paths: Iterable[Path]) -> list[Path]:
    """Files named on the command line, and the ``*.txt`` files of named directories (sorted)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.iterdir() if f.is_file() and f.suffix == ".txt"))
        else:
            out.append(p)
    return out


def load_manifest(directory: Path) -> dict[str, SeedMeta]:
    path = directory / MANIFEST
    if not path.is_file():
        return {}
    raw = orjson.loads(path.read_bytes())
    return {k: SeedMeta.from_mapping(v) for k, v in raw.items() if isinstance(v, dict)}


def file_time(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def build_events(
    files: list[Path],
    settings: Settings,
    loops: int = 1,
    shuffle: bool = False,
    seed: int = 0,
    debris: Debris | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Iterator[Envelope | Rejection]:
    """Yield one event per (loop, file), or a rejection; loop 0 is the plain id space."""
    debris = debris or Debris.load()
    manifests: dict[Path, dict[str, SeedMeta]] = {}
    texts: list[tuple[Path, str | Rejection, SeedMeta]] = []
    for path in files:
        manifest = manifests.setdefault(path.parent, load_manifest(path.parent))
        meta = manifest.get(path.name, SeedMeta())
        if meta.published is None and path.exists():
            meta = SeedMeta(meta.title, meta.outlet, meta.url, file_time(path), meta.language)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            texts.append((path, Rejection(path.name, "unreadable", str(exc)), meta))
            continue
        texts.append((path, decode_text(path.name, raw, settings.max_event_bytes), meta))
    rng = random.Random(seed)
    parsed: list[ArticleIngested | Rejection] = []
    for path, text, meta in texts:
        parsed.append(text if isinstance(text, Rejection) else parse_article_text(path.name, text, meta, debris))
    for loop in range(loops):
        order = list(parsed)
        if shuffle:
            rng.shuffle(order)
        for article in order:
            if isinstance(article, Rejection):
                if loop == 0:
                    yield article
                continue
            if loop:
                article = article.in_loop(ids.article_id_in_loop(article.article_id, loop), loop)
            yield article.envelope(settings.event_source + "/replay", now())


class Pacer:
    """Spaces sends to at most ``rate`` per second (0 = unlimited), without drift."""

    def __init__(self, rate: float, shutdown: Shutdown) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next = time.monotonic()
        self.shutdown = shutdown

    def wait(self) -> None:
        if not self.interval:
            return
        delay = self.next - time.monotonic()
        if delay > 0:
            self.shutdown.wait(delay)
        self.next = max(self.next + self.interval, time.monotonic() - self.interval)


def replay(
    files: list[Path],
    settings: Settings,
    *,
    rate: float = 0.0,
    loops: int = 1,
    shuffle: bool = False,
    seed: int = 0,
    dry_run: bool = False,
    out: TextIO = sys.stdout,
    shutdown: Shutdown | None = None,
    on_ack: Callable[[Envelope], None] | None = None,
) -> ReplayReport:
    """Publish the files' articles; returns what was published, skipped and rejected.

    Events are flushed in small batches and reported only after the broker acknowledged them.
    """
    shutdown = shutdown or Shutdown()
    report = ReplayReport()
    seen: set[str] = set()
    publisher: Publisher | None = None
    if not dry_run:
        publisher = Publisher(
            with_broker_retry(lambda: make_producer(settings, "replay"), settings, "replay producer"),
            settings,
        )
    pacer = Pacer(rate, shutdown)
    pending: list[Envelope] = []

    def flush() -> None:
        if publisher is None or not pending:
            return
        publisher.flush()
        for env in pending:
            report.published.append(env.id)
            if on_ack is not None:
                on_ack(env)
        pending.clear()

    try:
        for item in build_events(files, settings, loops, shuffle, seed):
            if shutdown.requested:
                break
            if isinstance(item, Rejection):
                report.rejected.append(item)
                log.warning("rejected file", extra=logs.fields(file=item.name, reason=item.reason, error=item.message))
                continue
            if item.id in seen:
                report.duplicates.append(f"{item.data['origin']['path']} ({item.subject})")
                continue
            seen.add(item.id)
            if publisher is None:
                out.write(encode(item).decode() + "\n")
                report.published.append(item.id)
                continue
            pacer.wait()
            publisher.publish(ARTICLES, item)
            pending.append(item)
            if len(pending) >= FLUSH_EVERY or rate:
                flush()
        flush()
    finally:
        if publisher is not None:
            publisher.close()
    return report


def progress_logger(total: int) -> Callable[[Envelope], None]:
    """Log progress every 5% of a long replay (at most every 100 events)."""
    state: dict[str, Any] = {"n": 0, "step": max(total // 20, 100)}

    def tick(_env: Envelope) -> None:
        state["n"] += 1
        if state["n"] % state["step"] == 0:
            log.info("replay progress", extra=logs.fields(published=state["n"], total=total))

    return tick
