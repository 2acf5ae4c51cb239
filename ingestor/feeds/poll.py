"""One poll of one feed: fetch (conditional), parse, and for each new or changed entry fetch and
extract its page. Runs in a worker thread and returns a :class:`PollResult` (errors as data); the
daemon's main thread publishes it, waits for the broker's acknowledgement, then persists it.

Nothing is written here: reads of the state only decide what not to fetch again.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from ingestor.feeds.canonical import URLError, canonicalize
from ingestor.feeds.config import FeedConfig, IngestOptions
from ingestor.feeds.dedupe import NearDuplicates
from ingestor.feeds.extract import ExtractFailure, ExtractorPool, PageText
from ingestor.feeds.fetch import Fetcher, FetchError, FetchLimits
from ingestor.feeds.parse import FeedEntry, ParsedFeed, html_to_text, parse_feed
from ingestor.feeds.scheduler import server_min_delay
from ingestor.feeds.state import FeedState, SeenEntry, State
from newswire import ids, logs
from newswire.records import ArticleIngested, Extraction, Origin

log = logging.getLogger(__name__)

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.1"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
_HTML_TYPES = ("text/html", "application/xhtml", "text/plain")


@dataclass(frozen=True)
class Candidate:
    """An article ready to publish (``duplicate_of`` is decided by the main thread)."""

    record: ArticleIngested
    signature: bytes | None
    entry: SeenEntry
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class DeadLetter:
    reason: str  # feed_malformed | fetch_failed | extraction_failed
    error_class: str
    message: str
    payload: bytes
    subject: str | None


@dataclass
class PollResult:
    feed: FeedConfig
    state: FeedState
    outcome: str  # ok | not_modified | error | malformed | partial
    now: float
    error_reason: str | None = None
    error_message: str | None = None
    retry_after_s: float | None = None
    etag: str | None = None
    last_modified: str | None = None
    server_delay_s: float | None = None
    title: str | None = None
    bozo: bool = False
    candidates: list[Candidate] = field(default_factory=list)
    seen: list[SeenEntry] = field(default_factory=list)  # entries done without a new article
    deadletters: list[DeadLetter] = field(default_factory=list)
    extraction: Counter[str] = field(default_factory=Counter)
    page_errors: Counter[str] = field(default_factory=Counter)
    new_entries: int = 0
    #: entries whose article another feed (or an earlier poll) already published
    already_published: int = 0
    #: False for an intermediate chunk of a long poll: its entries and articles only; the final
    #: result (True) carries the outcome, the validators and the schedule.
    final: bool = True

    def take_chunk(self) -> PollResult:
        """Move the entries handled so far into a chunk the daemon can publish right away."""
        chunk = PollResult(self.feed, self.state, "chunk", self.now, final=False)
        chunk.candidates, self.candidates = self.candidates, []
        chunk.seen, self.seen = self.seen, []
        chunk.deadletters, self.deadletters = self.deadletters, []
        chunk.extraction, self.extraction = self.extraction, Counter()
        chunk.page_errors, self.page_errors = self.page_errors, Counter()
        chunk.new_entries, self.new_entries = self.new_entries, 0
        chunk.already_published, self.already_published = self.already_published, 0
        return chunk

    @property
    def keep_validators(self) -> bool:
        """Store ETag/Last-Modified only when every entry was handled: a 304 next time must not
        hide entries an interrupted poll never got to."""
        return self.outcome == "ok"


def entry_fingerprint(entry: FeedEntry) -> str:
    """Changes when the entry visibly changes (title, link, dates, text)."""
    h = hashlib.blake2b(digest_size=12)
    for part in (entry.title, entry.link or "", entry.updated or "", entry.published or "", entry.fallback_html):
        h.update(part.encode("utf-8", "replace"))
        h.update(b"\x1f")
    return h.hexdigest()


def _iso_date(value: str | None) -> str | None:
    """trafilatura's ``YYYY-MM-DD`` → RFC 3339 (midnight UTC)."""
    if not value:
        return None
    v = value.strip()
    if len(v) == 10 and v[4] == "-" and v[7] == "-" and v.replace("-", "").isdigit():
        return f"{v}T00:00:00Z"
    return None


@dataclass
class Poller:
    fetcher: Fetcher
    extractor: ExtractorPool
    state: State
    near: NearDuplicates
    options: IngestOptions
    stop: threading.Event
    clock: Callable[[], float]
    #: Receives chunks of a long poll every ``chunk_size`` new entries (published and persisted
    #: before the poll ends, so a slow feed's first articles do not wait for its last page).
    emit: Callable[[PollResult], None] | None = None
    chunk_size: int = 5

    def _page_limits(self) -> FetchLimits:
        o = self.options
        return FetchLimits(
            deadline_s=o.request_deadline_s, max_body_bytes=o.max_body_bytes, max_decoded_bytes=o.max_decoded_bytes
        )

    def poll(self, feed: FeedConfig) -> PollResult:
        st = self.state.feed(feed.name, feed.url)
        now = self.clock()
        try:
            resp = self.fetcher.get(
                feed.url, etag=st.etag, last_modified=st.last_modified, accept=FEED_ACCEPT, limits=self._page_limits()
            )
        except FetchError as exc:
            return PollResult(feed, st, "error", now, exc.reason, str(exc)[:500], retry_after_s=exc.retry_after_s)
        result = PollResult(
            feed,
            st,
            "ok",
            now,
            etag=resp.headers.get("etag"),
            last_modified=resp.headers.get("last-modified"),
        )
        if resp.not_modified:
            result.outcome = "not_modified"
            result.etag = result.etag or st.etag
            result.last_modified = result.last_modified or st.last_modified
            result.server_delay_s = server_min_delay(resp.headers, None, now)
            return result
        headers = dict(resp.headers)
        headers.setdefault("content-location", resp.url)
        parsed = parse_feed(resp.body, headers)
        result.title = parsed.title or None
        result.bozo = parsed.bozo
        result.server_delay_s = server_min_delay(resp.headers, parsed.ttl_s, now)
        if parsed.malformed:
            result.outcome = "malformed"
            result.error_reason = "feed_malformed"
            result.error_message = parsed.bozo_reason or "no entries"
            result.deadletters.append(
                DeadLetter(
                    "feed_malformed",
                    "FeedMalformed",
                    f"feed {feed.name!r}: {parsed.bozo_reason or 'no entries'}",
                    resp.body,
                    f"feed:{feed.name}",
                )
            )
            return result
        self._entries(feed, parsed, result)
        return result

    def _entries(self, feed: FeedConfig, parsed: ParsedFeed, result: PollResult) -> None:
        entries = list(parsed.entries[: self.options.max_entries_per_poll])
        keyed: list[tuple[str, FeedEntry]] = []
        for e in entries:
            key = e.key or "text:" + ids.content_hash(e.title + "\n" + e.fallback_html)
            keyed.append((key, e))
        seen = self.state.seen_entries(feed.name, [k for k, _ in keyed])
        done_in_poll: set[str] = set()
        for key, entry in keyed:
            if self.stop.is_set():
                result.outcome = "partial"
                return
            fp = entry_fingerprint(entry)
            prev = seen.get(key)
            if (prev is not None and prev.fingerprint == fp) or key in done_in_poll:
                continue
            done_in_poll.add(key)
            if self.emit is not None and result.new_entries >= self.chunk_size:
                self.emit(result.take_chunk())  # only when more work follows: the last goes with the final
            result.new_entries += 1
            self._entry(feed, parsed, key, fp, entry, prev is not None, result)

    def _entry(
        self,
        feed: FeedConfig,
        parsed: ParsedFeed,
        key: str,
        fp: str,
        entry: FeedEntry,
        changed: bool,
        result: PollResult,
    ) -> None:
        link_canonical: str | None = None
        if entry.link:
            try:
                link_canonical = canonicalize(entry.link)
            except URLError:
                link_canonical = None
        alias_id = ids.article_id_for_url(link_canonical) if link_canonical else None
        if alias_id is not None and not changed:
            known = self.state.alias(alias_id) or alias_id
            if self.state.article_revision(known) is not None:
                # Already published via another feed (or before a restart): published once.
                result.seen.append(SeenEntry(key, fp, known))
                result.already_published += 1
                return

        page: PageText | None = None
        failure: str | None = None
        fetch_failed = False
        final_canonical = link_canonical
        if not feed.fetch_pages:
            failure = "pages_disabled"
        elif link_canonical is None or entry.link is None:
            failure = "no_link"
        else:
            try:
                resp = self.fetcher.get(entry.link, accept=PAGE_ACCEPT, limits=self._page_limits())
                try:
                    final_canonical = canonicalize(resp.url)
                except URLError:
                    final_canonical = link_canonical
                ctype = resp.headers.get("content-type", "").split(";", 1)[0].strip().lower()
                if ctype and not ctype.startswith(_HTML_TYPES):
                    failure = f"extract:not_html({ctype[:40]})"
                else:
                    out = self.extractor.extract(resp.body, resp.url)
                    if isinstance(out, ExtractFailure):
                        failure = f"extract:{out.reason}"
                    else:
                        page = out
            except FetchError as exc:
                failure = f"fetch:{exc.reason}"
                fetch_failed = True
                result.page_errors[exc.reason] += 1
                log.warning(
                    "article page fetch failed",
                    extra=logs.fields(feed=feed.name, reason=exc.reason, error=str(exc)[:200]),
                )

        if page is not None:
            body, outcome, reason = page.text, "ok", None
        else:
            body, outcome, reason = html_to_text(entry.fallback_html), "fallback", failure
        if not body.strip():
            result.extraction["failed"] += 1
            dl_reason = "fetch_failed" if fetch_failed else "extraction_failed"
            result.deadletters.append(
                DeadLetter(
                    dl_reason,
                    "NoArticleText",
                    f"feed {feed.name!r} entry {key[:200]!r}: no text ({failure})",
                    (entry.link or key).encode("utf-8", "replace"),
                    ids.article_id_for_url(final_canonical) if final_canonical else None,
                )
            )
            result.seen.append(SeenEntry(key, fp, None))
            return
        result.extraction[outcome] += 1

        article_id = ids.article_id_for_url(final_canonical) if final_canonical else ids.article_id_for_text(body)
        title = entry.title.strip() or (page.title if page and page.title else "") or body[:80]
        outlet = (page.sitename if page and page.sitename else None) or parsed.title.strip() or feed.name
        authors = entry.authors or (
            tuple(a.strip() for a in page.author.split(";") if a.strip()) if page and page.author else ()
        )
        tags = tuple(dict.fromkeys((*feed.tags, *entry.tags)))
        record = ArticleIngested(
            article_id=article_id,
            revision=ids.content_hash(body),
            url=final_canonical,
            title=title,
            outlet=outlet,
            published=entry.published or _iso_date(page.date if page else None),
            body=body,
            origin=Origin("feed", feed=feed.name, path=None, entry_id=key[:500]),
            extraction=Extraction(outcome, reason),
            language=page.language if page else None,
            authors=authors,
            duplicate_of=None,
            tags=tags,
        )
        aliases = tuple(a for a in {alias_id} if a and a != article_id)
        result.candidates.append(Candidate(record, self.near.signature(body), SeenEntry(key, fp, article_id), aliases))
