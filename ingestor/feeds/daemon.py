"""The ingest loop: schedule polls, run them on worker threads, publish, acknowledge, persist.

Order (DESIGN.md, Guarantees): queue the articles and dead letters of every result that is ready
→ flush once and check every acknowledgement → only then write each result to the state (seen
entries, revisions, validators). A crash in between re-publishes the same event ids on the next
run, which consumers drop; nothing is lost. A long poll hands over a chunk every ``publish_every``
new entries, so a slow feed's first articles do not wait for its last page; validators are stored
only with the final result of a poll that handled every entry. All publishing and state writes
happen on the main thread, so "published once" holds across feeds polled concurrently.

SIGTERM/SIGINT (:class:`newswire.bus.Shutdown`): no new polls start, running polls stop between
entries, what they finished is published and persisted, and the process exits 0.
"""

from __future__ import annotations

import logging
import queue
import random
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from ingestor.feeds.config import FeedConfig, IngestConfig
from ingestor.feeds.dedupe import NearDuplicates
from ingestor.feeds.extract import ExtractorPool
from ingestor.feeds.fetch import AddressPolicy, Fetcher, FetchLimits, HostLimiter
from ingestor.feeds.metrics import FeedMetrics
from ingestor.feeds.poll import Poller, PollResult
from ingestor.feeds.scheduler import Policy, first_poll, next_after_failure, next_after_success
from ingestor.feeds.state import PublishedArticle, SeenEntry, State
from newswire import logs
from newswire.bus import Publisher, Shutdown, deadletter_envelope
from newswire.schema_registry import SchemaError, check_event
from newswire.settings import Settings
from newswire.topics import ARTICLES, DEADLETTER

log = logging.getLogger(__name__)
STAGE = "ingestor"
PRUNE_EVERY = 500  # polls between two bounds checks of the state file


@dataclass
class RunStats:
    polls: int = 0
    published: int = 0
    deduplicated: int = 0
    deadletters: int = 0
    errors: int = 0
    not_modified: int = 0


def build_fetcher(settings: Settings, config: IngestConfig) -> Fetcher:
    o = config.options
    return Fetcher(
        policy=AddressPolicy(allow_private=settings.allow_private_networks),
        limits=FetchLimits(
            deadline_s=o.request_deadline_s, max_body_bytes=o.max_body_bytes, max_decoded_bytes=o.max_decoded_bytes
        ),
        limiter=HostLimiter(o.per_host),
    )


@dataclass
class Ingestor:
    settings: Settings
    config: IngestConfig
    publisher: Publisher
    state: State
    metrics: FeedMetrics
    shutdown: Shutdown
    fetcher: Fetcher
    extractor: ExtractorPool
    policy: Policy = field(default_factory=Policy)
    clock: Callable[[], float] = time.time
    rng: random.Random = field(default_factory=random.Random)
    stats: RunStats = field(default_factory=RunStats)
    near: NearDuplicates = field(default_factory=NearDuplicates)

    def __post_init__(self) -> None:
        for aid, sig in self.state.signatures(self.near.capacity):
            self.near.add(aid, sig)
        self._chunks: queue.Queue[PollResult] = queue.Queue()
        self.poller = Poller(
            self.fetcher,
            self.extractor,
            self.state,
            self.near,
            self.config.options,
            self.shutdown.event,
            self.clock,
            emit=self._chunks.put,
            chunk_size=self.config.options.publish_every,
        )
        self.source = self.settings.event_source + "/ingestor"

    # -- loop ----------------------------------------------------------------------------------

    def run(self, once: bool = False) -> RunStats:
        feeds = {f.name: f for f in self.config.feeds}
        now = self.clock()
        due: dict[str, float] = {}
        for f in self.config.feeds:
            st = self.state.feed(f.name, f.url)
            due[f.name] = (
                now if once else (st.next_poll if st.next_poll is not None else first_poll(now, f.interval_s, self.rng))
            )
        in_flight: dict[Future[PollResult], str] = {}
        done_once: set[str] = set()
        pruned = 0
        with ThreadPoolExecutor(max_workers=self.config.options.workers, thread_name_prefix="poll") as pool:
            while True:
                now = self.clock()
                if not self.shutdown.requested:
                    busy = set(in_flight.values())
                    for name, when in sorted(due.items(), key=lambda kv: kv[1]):
                        if name in busy or when > now or (once and name in done_once):
                            continue
                        if len(in_flight) >= self.config.options.workers * 2:
                            break
                        in_flight[pool.submit(self._safe_poll, feeds[name])] = name
                        done_once.add(name)
                if not in_flight:
                    if self.shutdown.requested or (once and len(done_once) == len(feeds)):
                        break
                    nxt = min(due.values(), default=now + 1.0)
                    self.shutdown.wait(min(max(nxt - self.clock(), 0.05), 1.0))
                    continue
                finished, _ = wait(list(in_flight), timeout=0.2, return_when=FIRST_COMPLETED)
                # chunks first: a poll's chunks are queued before its future completes
                batch = self._drain_chunks()
                for fut in finished:
                    in_flight.pop(fut)
                    batch.append(fut.result())
                for name, nxt in self._process(batch).items():
                    due[name] = float("inf") if once else nxt
                if self.stats.polls // PRUNE_EVERY > pruned:
                    pruned = self.stats.polls // PRUNE_EVERY
                    self.state.prune()
        self.state.prune()
        return self.stats

    def _drain_chunks(self) -> list[PollResult]:
        out: list[PollResult] = []
        while True:
            try:
                out.append(self._chunks.get_nowait())
            except queue.Empty:
                return out

    def _process(self, batch: list[PollResult]) -> dict[str, float]:
        """Publish a batch of results, wait once for every acknowledgement, then persist each in
        order (a poll's chunks before its final result). Returns the next poll time per feed."""
        if not batch:
            return {}
        now = self.clock()
        in_batch: dict[str, str] = {}
        staged = [(r, self._publish(r, now, in_batch)) for r in batch]
        # Acknowledged by the broker before anything is remembered (raises StageFatal otherwise).
        self.publisher.flush(timeout_s=self.settings.request_timeout_ms / 1000 * 4)
        nxt: dict[str, float] = {}
        for r, (published, seen, dup_count, dls) in staged:
            if r.final:
                nxt[r.feed.name] = self._commit(r, published, seen, dup_count, dls, now)
            else:
                self.state.record_progress(
                    r.state, now=now, entries=seen, articles=published, new_entries=r.new_entries
                )
                self._count(r, published, dup_count, dls)
        return nxt

    def _safe_poll(self, feed: FeedConfig) -> PollResult:
        try:
            return self.poller.poll(feed)
        except Exception as exc:  # a bug must not kill the loop: report the feed as failed
            log.exception("poll crashed", extra=logs.fields(feed=feed.name))
            return PollResult(
                feed, self.state.feed(feed.name, feed.url), "error", self.clock(), "internal", repr(exc)[:500]
            )

    # -- one finished poll -----------------------------------------------------------------------

    def _publish(
        self, r: PollResult, now: float, in_poll: dict[str, str]
    ) -> tuple[list[PublishedArticle], list[SeenEntry], int, list[Any]]:
        """Queue a result's articles and dead letters (``in_poll``: what this batch already
        queued, so an article in two feeds of one batch is published once)."""
        published: list[PublishedArticle] = []
        seen: list[SeenEntry] = list(r.seen)
        envelopes_dl: list[Any] = []
        # Deduplicated: found published before fetching (another feed's committed poll, an earlier
        # run) or, below, by an equal revision in this batch or in the state. Which of the two
        # catches an article in two feeds depends on timing; the count does not.
        dup_count = r.already_published
        ingested_at = datetime.fromtimestamp(now, UTC)
        for c in r.candidates:
            rec = c.record
            prev = in_poll.get(rec.article_id) or self.state.article_revision(rec.article_id)
            if prev == rec.revision:
                dup_count += 1
                seen.append(c.entry)
                continue
            dup_of = self.near.find(c.signature, exclude=rec.article_id) if c.signature else None
            rec = replace(rec, duplicate_of=dup_of)
            env = rec.envelope(self.source, ingested_at)
            try:
                check_event(env.to_dict())
            except SchemaError as exc:
                envelopes_dl.append(
                    deadletter_envelope(
                        stage=STAGE,
                        reason="schema_invalid",
                        error=exc,
                        record=None,
                        source=self.settings.event_source,
                        payload=rec.url.encode() if rec.url else None,
                        subject=rec.article_id,
                        now=ingested_at,
                    )
                )
                seen.append(c.entry)
                continue
            self.publisher.publish(ARTICLES, env)
            in_poll[rec.article_id] = rec.revision
            if c.signature is not None:  # later copies in this batch are compared with it too
                self.near.add(rec.article_id, c.signature)
            seen.append(c.entry)
            published.append(PublishedArticle(rec.article_id, rec.url, rec.revision, c.signature, c.aliases))
        for d in r.deadletters:
            envelopes_dl.append(
                deadletter_envelope(
                    stage=STAGE,
                    reason=d.reason,
                    error=f"{d.error_class}: {d.message}",
                    record=None,
                    source=self.settings.event_source,
                    payload=d.payload,
                    subject=d.subject,
                    now=ingested_at,
                )
            )
        for env in envelopes_dl:
            self.publisher.publish(DEADLETTER, env)
        return published, seen, dup_count, envelopes_dl

    def _count(self, r: PollResult, published: list[PublishedArticle], dup_count: int, dls: list[Any]) -> None:
        m = self.metrics
        label = m.feed(r.feed.name)
        self.stats.published += len(published)
        self.stats.deduplicated += dup_count
        self.stats.deadletters += len(dls)
        m.entries.labels(feed=label).inc(r.new_entries)
        m.published.labels(feed=label).inc(len(published))
        m.deduplicated.labels(feed=label).inc(dup_count)
        for outcome, n in r.extraction.items():
            m.extraction.labels(outcome=outcome).inc(n)
        for reason, n in r.page_errors.items():
            m.errors.labels(feed=label, reason=m.reason(reason)).inc(n)
        for env in dls:
            m.deadletters.labels(reason=env.data["reason"]).inc()
            log.warning(
                "dead-lettered an input",
                extra=logs.fields(feed=r.feed.name, reason=env.data["reason"], error=env.data["error_message"][:300]),
            )

    def _commit(
        self,
        r: PollResult,
        published: list[PublishedArticle],
        seen: list[SeenEntry],
        dup_count: int,
        envelopes_dl: list[Any],
        now: float,
    ) -> float:
        """Persist a finished poll (after the acks), count it, schedule the next one."""
        m = self.metrics
        label = m.feed(r.feed.name)
        ok = r.outcome in ("ok", "not_modified", "partial")
        failures = 0 if ok else r.state.failures + 1
        if ok:
            nxt = next_after_success(now, r.feed.interval_s, r.server_delay_s, self.policy, self.rng)
        else:
            nxt = next_after_failure(now, r.feed.interval_s, failures, r.retry_after_s, self.policy, self.rng)
        if r.outcome == "partial":
            nxt = now  # resume right away next run: the poll was interrupted, not finished
        self.state.record_poll(
            r.state,
            outcome=r.outcome,
            now=now,
            next_poll=nxt,
            etag=r.etag,
            last_modified=r.last_modified,
            keep_validators=r.keep_validators,
            error=r.error_message,
            title=r.title,
            entries=seen,
            articles=published,
            new_entries=r.new_entries,
        )
        # metrics, logs, stats
        self._count(r, published, dup_count, envelopes_dl)
        self.stats.polls += 1
        m.polls.labels(feed=label, outcome=r.outcome).inc()
        if r.bozo:
            m.bozo.labels(feed=label).inc()
        if ok:
            m.last_success.labels(feed=label).set(now)
            m.failing.labels(feed=label).set(0)
            if r.outcome == "not_modified":
                m.not_modified.labels(feed=label).inc()
                self.stats.not_modified += 1
        else:
            self.stats.errors += 1
            m.errors.labels(feed=label, reason=m.reason(r.error_reason or "internal")).inc()
            m.failing.labels(feed=label).set(failures)
            level = logging.ERROR if failures == self.policy.failing_after else logging.WARNING
            log.log(
                level,
                "feed is failing" if failures >= self.policy.failing_after else "feed poll failed",
                extra=logs.fields(
                    feed=r.feed.name,
                    reason=r.error_reason,
                    error=(r.error_message or "")[:300],
                    consecutive_failures=failures,
                    retry_in_s=round(nxt - now, 1),
                ),
            )
        log.info(
            "polled feed",
            extra=logs.fields(
                feed=r.feed.name,
                outcome=r.outcome,
                new_entries=r.new_entries,
                published=len(published),
                deduplicated=dup_count,
                deadletters=len(envelopes_dl),
                next_poll_in_s=round(nxt - now, 1),
            ),
        )
        return nxt
