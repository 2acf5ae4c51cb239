"""Article pages → main text and metadata with trafilatura, bounded in size, time and memory.

:func:`extract_page` is the pure core (HTML bytes in, :class:`PageText` or :class:`ExtractFailure`
out). :class:`ExtractorPool` runs it in separate worker processes, each with an address-space
limit, and kills and replaces a worker that overruns its time budget, so a hostile page (deep
nesting, huge DOM, pathological markup) costs one worker restart instead of the daemon.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from newswire import logs

log = logging.getLogger(__name__)

#: Pages larger than this are not handed to the parser at all.
MAX_HTML_BYTES = 8 * 1024 * 1024
#: Text shorter than this is treated as "no article found".
MIN_TEXT_CHARS = 80


@dataclass(frozen=True)
class PageText:
    """What trafilatura found on a page."""

    text: str
    title: str | None = None
    author: str | None = None
    date: str | None = None
    sitename: str | None = None
    language: str | None = None
    canonical_url: str | None = None


@dataclass(frozen=True)
class ExtractFailure:
    """Why a page yielded no article text (``reason`` is a closed set: metric label)."""

    reason: str  # too_large | empty | no_text | parse_error | timeout | worker_crashed | memory
    detail: str = ""


def extract_page(
    html: bytes,
    url: str | None = None,
    *,
    include_comments: bool = False,
    max_bytes: int = MAX_HTML_BYTES,
    min_chars: int = MIN_TEXT_CHARS,
) -> PageText | ExtractFailure:
    """Main text and metadata of ``html`` (bytes: trafilatura detects the charset itself)."""
    import trafilatura  # heavy import, kept out of processes that never extract

    if len(html) > max_bytes:
        return ExtractFailure("too_large", f"{len(html)} bytes > {max_bytes}")
    if not html.strip():
        return ExtractFailure("empty")
    try:
        doc = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=include_comments,
            include_tables=True,
            include_formatting=False,
            include_links=False,
            fast=False,
        )
    except (ValueError, TypeError, RecursionError, UnicodeError, LookupError) as exc:
        return ExtractFailure("parse_error", f"{type(exc).__name__}: {exc}"[:300])
    if doc is None:
        return ExtractFailure("no_text", "trafilatura found no main text")
    text = (getattr(doc, "text", None) or "").strip()
    if include_comments:
        comments = (getattr(doc, "comments", None) or "").strip()
        if comments:
            text = f"{text}\n{comments}" if text else comments
    if len(text) < min_chars:
        return ExtractFailure("no_text", f"only {len(text)} characters of text")

    def meta(name: str) -> str | None:
        value = getattr(doc, name, None)
        return str(value).strip() or None if value else None

    return PageText(
        text=text,
        title=meta("title"),
        author=meta("author"),
        date=meta("date"),
        sitename=meta("sitename"),
        language=meta("language"),
        canonical_url=meta("url"),
    )


# ------------------------------------------------------------------------------------------------
# worker processes


def _limit_memory(max_rss_bytes: int) -> None:
    if max_rss_bytes <= 0:
        return
    import resource

    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (max_rss_bytes, max_rss_bytes))


def _worker_main(conn: multiprocessing.connection.Connection, max_memory: int, include_comments: bool) -> None:
    """Child process loop: receive (html, url), send back the outcome."""
    _limit_memory(max_memory)
    import trafilatura  # noqa: F401  (warm the import before the first job)

    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        html, url = job
        try:
            result: PageText | ExtractFailure = extract_page(html, url, include_comments=include_comments)
        except MemoryError:
            result = ExtractFailure("memory", "worker memory limit reached")
        except Exception as exc:  # an unexpected library error: report it, keep the worker
            result = ExtractFailure("parse_error", f"{type(exc).__name__}: {exc}"[:300])
        try:
            conn.send(result)
        except (OSError, ValueError):
            return


@dataclass
class _Worker:
    process: Any
    conn: multiprocessing.connection.Connection


@dataclass
class ExtractorPool:
    """``size`` extraction worker processes; each job has ``timeout_s`` and the worker an
    address-space cap of ``max_memory_bytes``. Thread-safe: callers block until a worker is free."""

    size: int = 2
    timeout_s: float = 20.0
    max_memory_bytes: int = 1024 * 1024 * 1024
    include_comments: bool = False
    restarts: int = 0
    _idle: queue.Queue[_Worker] = field(default_factory=queue.Queue)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _all: list[_Worker] = field(default_factory=list)
    _closed: bool = False

    def start(self) -> ExtractorPool:
        for _ in range(self.size):
            self._idle.put(self._spawn())
        return self

    def _spawn(self) -> _Worker:
        ctx = multiprocessing.get_context("spawn")  # never fork a process holding Kafka threads
        parent, child = ctx.Pipe()
        proc = ctx.Process(
            target=_worker_main,
            args=(child, self.max_memory_bytes, self.include_comments),
            name="newswire-extract",
            daemon=True,
        )
        proc.start()
        child.close()
        worker = _Worker(proc, parent)
        with self._lock:
            self._all.append(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        with contextlib.suppress(Exception):
            worker.process.kill()
        worker.process.join(timeout=5)
        worker.conn.close()
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
            self.restarts += 1

    def extract(self, html: bytes, url: str | None) -> PageText | ExtractFailure:
        if self._closed:
            raise RuntimeError("extractor pool is closed")
        if len(html) > MAX_HTML_BYTES:
            return ExtractFailure("too_large", f"{len(html)} bytes > {MAX_HTML_BYTES}")
        worker = self._idle.get()
        replacement: _Worker | None = None
        try:
            started = time.monotonic()
            try:
                worker.conn.send((html, url))
                if worker.conn.poll(self.timeout_s):
                    result: PageText | ExtractFailure = worker.conn.recv()
                    return result
                failure = ExtractFailure("timeout", f"extraction took over {self.timeout_s}s")
            except (EOFError, OSError, BrokenPipeError) as exc:
                code = worker.process.exitcode
                failure = ExtractFailure("worker_crashed", f"worker died ({type(exc).__name__}, exit code {code})")
            log.warning(
                "extraction worker replaced",
                extra=logs.fields(reason=failure.reason, url=url, seconds=round(time.monotonic() - started, 2)),
            )
            self._retire(worker)
            replacement = self._spawn()
            return failure
        finally:
            self._idle.put(replacement or worker)

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
        for w in workers:
            with contextlib.suppress(Exception):
                w.conn.send(None)
        for w in workers:
            w.process.join(timeout=2)
            if w.process.is_alive():
                w.process.kill()
                w.process.join(timeout=2)
            w.conn.close()
