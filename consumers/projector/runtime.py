"""The projector's Kafka side: assign all input partitions, apply, publish changes, checkpoint.

Runs in its own thread; the HTTP side reads the view through :class:`ViewHub` (a lock held only
while applying a batch or rendering), so requests are never blocked by polling the broker.

Order per batch (DESIGN.md, Guarantees): decode/validate (bad records → dead letters) → drop ids
already applied → apply → refresh the view and publish the item changes and dead letters → wait
for every ack → only then count the batch's offsets as done → checkpoint view + offsets in one
SQLite transaction (at most every ``checkpoint_interval_s``). No consumer group is used: the
projector owns its offsets in the checkpoint and seeks to them on start.

When caught up, every batch is refreshed at once. While catching up (a rebuild, a backlog),
refreshes and checkpoints are paced (:mod:`consumers.projector.pacing`) so that they take a bounded
share of the time however large the view grows; a checkpoint always refreshes and publishes first,
so the offsets it saves never run ahead of the changes published.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import orjson
from kafka import KafkaConsumer, TopicPartition
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from consumers.projector.facts import FACTS_VERSION, lexicon
from consumers.projector.health import Health
from consumers.projector.pacing import CatchUpCollector, Pacer, settle_heap
from consumers.projector.store import CheckpointStore, Offsets
from consumers.projector.view import ACCEPTED_TYPES, SECTIONS, Change, TalksView, saved_derivation, saved_window
from consumers.projector.window import ViewWindow
from newswire import __version__, events, ids, logs
from newswire.bus import (
    Publisher,
    Rejected,
    Shutdown,
    decode_record,
    ensure_topics,
    make_consumer,
    make_producer,
    publish_dead_letters,
    report_dead_letters,
    with_broker_retry,
)
from newswire.events import Envelope
from newswire.metrics import LATENCY_BUCKETS, StageMetrics
from newswire.settings import Settings
from newswire.topics import ARTICLES, CLAIMS, ENTITIES, STATE, topic_name
from newswire.watchdog import Watchdog, guarded

log = logging.getLogger(__name__)

#: how long a request for the state waits for the view before it gets the last rendering
STALE_AFTER_S = 0.2
#: records per poll at most while catching up
CATCH_UP_BATCH = 500
#: while catching up, refreshes and checkpoints take at most this share of the time
REFRESH_SHARE = 0.25
CHECKPOINT_SHARE = 0.2

STAGE = "projector"
INPUT_ROLES = (ARTICLES, ENTITIES, CLAIMS)
EXTRACTOR = f"projector@{__version__}"


@dataclass
class ViewMetrics:
    """What the projector exports besides the common stage metrics."""

    items: Gauge
    last_update: Gauge
    version: Gauge
    checkpoint_seconds: Histogram
    last_checkpoint: Gauge
    checkpoint_bytes: Gauge
    sse_clients: Gauge
    restore_seconds: Gauge
    articles: Gauge
    window_start: Gauge
    late: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> ViewMetrics:
        return cls(
            items=Gauge("newswire_view_items", "Items in the live view, by section.", ["section"], registry=registry),
            last_update=Gauge(
                "newswire_view_last_update_timestamp_seconds",
                "Unix time the live view last changed.",
                registry=registry,
            ),
            version=Gauge("newswire_view_version", "Input events applied to the view.", registry=registry),
            checkpoint_seconds=Histogram(
                "newswire_projector_checkpoint_seconds",
                "Time to write one checkpoint (view + offsets, one transaction).",
                buckets=LATENCY_BUCKETS,
                registry=registry,
            ),
            last_checkpoint=Gauge(
                "newswire_projector_last_checkpoint_timestamp_seconds",
                "Unix time of the last checkpoint.",
                registry=registry,
            ),
            checkpoint_bytes=Gauge(
                "newswire_projector_checkpoint_bytes",
                "Bytes the last checkpoint wrote (the compressed rows that changed, and the head).",
                registry=registry,
            ),
            sse_clients=Gauge("newswire_view_stream_clients", "Open server-sent-event streams.", registry=registry),
            restore_seconds=Gauge(
                "newswire_projector_restore_seconds",
                "Time the last start took to restore the view from its checkpoint (0: none).",
                registry=registry,
            ),
            articles=Gauge("newswire_view_articles", "Articles the live view holds.", registry=registry),
            window_start=Gauge(
                "newswire_view_window_start_timestamp_seconds",
                "Publication time before which the view has forgotten articles (0: none yet; "
                "NEWSWIRE_VIEW_WINDOW_DAYS).",
                registry=registry,
            ),
            late=Counter(
                "newswire_view_late_events_total",
                "Events ignored because they are older than anything the view still holds "
                "(older than its window and story index; NEWSWIRE_VIEW_WINDOW_DAYS).",
                registry=registry,
            ),
        )


# ------------------------------------------------------------------------------------------------
# the shared state between the Kafka thread and HTTP


@dataclass(eq=False)
class Subscriber:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[bytes]
    lost: bool = False


class ViewHub:
    """The view under a lock, a cached rendering, SSE subscribers and health."""

    def __init__(self, view: TalksView | None = None, metrics: ViewMetrics | None = None) -> None:
        self.lock = threading.RLock()
        self.view = view or TalksView()
        self.metrics = metrics
        self.health = Health(started_at=time.monotonic())
        self.revision = 0
        self.last_update: float | None = None
        self._cache: dict[str, tuple[tuple[int, int], bytes]] = {}  # renderings of this revision
        self.restoring = False  # the Kafka thread is restoring the view: the API answers 503
        self._subs: set[Subscriber] = set()
        self._subs_lock = threading.Lock()

    def replace(self, view: TalksView) -> None:
        with self.lock:
            self.view = view
            self.revision += 1
        self._export()

    def restore_started(self) -> None:
        self.restoring = True
        self.health.restoring = True

    def restored(self, view: TalksView, seconds: float) -> None:
        """The restored view replaces the empty one; open pages are told to reload it."""
        self.replace(view)
        self.restoring = False
        self.health.restored(time.monotonic())
        if self.metrics is not None:
            self.metrics.restore_seconds.set(seconds)
        self.broadcast(b"event: resync\ndata: {}\n\n")

    def state_json(self) -> bytes:
        """The whole view, rendered (see :meth:`_rendered`)."""
        return self._rendered("state", lambda view: view.state(raw=True))

    def summary_json(self, limit: int) -> bytes:
        """The view at a glance (:meth:`TalksView.summary`), rendered (see :meth:`_rendered`)."""
        return self._rendered(f"summary/{limit}", lambda view: view.summary(limit, raw=True))

    def section_json(self, section: str, offset: int, limit: int) -> bytes | None:
        with self.lock:
            page = self.view.section_page(section, offset, limit, raw=True)
        return None if page is None else orjson.dumps(page)

    def _rendered(self, what: str, render: Callable[[TalksView], dict[str, Any]]) -> bytes:
        """A rendering of the view, kept until the view changes. While the Kafka thread holds
        the view (a refresh of a large view can take a while when catching up), the last
        rendering is served rather than waiting."""
        cached = self._cache.get(what)
        if cached is None:
            self.lock.acquire()
        elif not self.lock.acquire(timeout=STALE_AFTER_S):
            return cached[1]
        try:
            # keyed by the applied count too: a batch that changes no item still moves the
            # view's version and article count, which the renderings report
            key = (self.revision, self.view.applied)
            cached = self._cache.get(what)
            if cached is None or cached[0] != key:
                body = render(self.view)
                body["updated_at"] = self.last_update
                self._cache = {w: c for w, c in self._cache.items() if c[0] == key}  # (older ones go)
                cached = self._cache[what] = (key, orjson.dumps(body))
            return cached[1]
        finally:
            self.lock.release()

    def item(self, item_id: str) -> dict[str, Any] | None:
        with self.lock:
            return self.view.item(item_id)  # (a fresh copy)

    def article(self, article_id: str) -> dict[str, Any] | None:
        """What the view knows of one article: applied or not, and the items it supports."""
        with self.lock:
            rec = self.view.articles.get(article_id)
            items = self.view.article_items(article_id)
            if rec is None and not items and article_id not in self.view.claims:
                return None
            return {
                "article_id": article_id,
                "outlet": rec.outlet if rec else None,
                "title": rec.title if rec else None,
                "time": rec.time if rec else None,
                "claims_applied": article_id in self.view.claims,
                "items": [{"id": i, "label": (self.view.item(i) or {}).get("label")} for i in items],
            }

    def changed(self, changes: Sequence[Change], now: float) -> None:
        """Called by the Kafka thread after a batch changed the view (outside the lock)."""
        with self.lock:
            self.revision += 1
            self.last_update = now
            version = self.view.applied
        self._export()
        payload = orjson.dumps(
            {
                "view_version": version,
                "changes": [
                    {
                        "item_id": c.item_id,
                        "section": c.section,
                        "change": c.change,
                        "label": (c.item or {}).get("label"),
                    }
                    for c in changes
                ],
            }
        )
        self.broadcast(b"event: change\ndata: " + payload + b"\n\n")

    def _export(self) -> None:
        if self.metrics is None:
            return
        with self.lock:
            sizes = self.view.section_sizes()
            version = self.view.applied
            articles = len(self.view.articles)
            cutoff = self.view.window.cutoff
        self.metrics.articles.set(articles)
        self.metrics.window_start.set(cutoff or 0.0)
        for section in SECTIONS:
            self.metrics.items.labels(section=section).set(sizes.get(section, 0))
        self.metrics.version.set(version)
        if self.last_update is not None:
            self.metrics.last_update.set(self.last_update)

    # SSE -------------------------------------------------------------------------------------
    def subscribe(self, loop: asyncio.AbstractEventLoop, capacity: int = 256) -> Subscriber:
        sub = Subscriber(loop, asyncio.Queue(maxsize=capacity))
        with self._subs_lock:
            self._subs.add(sub)
            n = len(self._subs)
        if self.metrics:
            self.metrics.sse_clients.set(n)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._subs_lock:
            self._subs.discard(sub)
            n = len(self._subs)
        if self.metrics:
            self.metrics.sse_clients.set(n)

    def broadcast(self, message: bytes) -> None:
        with self._subs_lock:
            subs = list(self._subs)
        for sub in subs:
            try:
                sub.loop.call_soon_threadsafe(_offer, sub, message)
            except RuntimeError:  # the client's event loop is closed: it is gone
                self.unsubscribe(sub)


def _offer(sub: Subscriber, message: bytes) -> None:
    try:
        sub.queue.put_nowait(message)
    except asyncio.QueueFull:
        sub.lost = True  # the stream tells the page to reload the whole state


# ------------------------------------------------------------------------------------------------
# the Kafka loop


def _derived_otherwise(snap: Mapping[str, Any], window_s: float) -> tuple[str, dict[str, Any]] | None:
    """Why a checkpoint cannot be resumed, if it cannot: it was built with another view window
    (what a narrower one forgot cannot come back, a wider one would forget too late) or with
    another lexicon or version of the projector's facts (its facts, derived otherwise, would not
    merge with new ones as they should)."""
    if saved_window(snap) != window_s:
        return "the view window changed", {"saved_days": saved_window(snap) / 86400, "days": window_s / 86400}
    saved = saved_derivation(snap)
    if saved["facts"] != FACTS_VERSION:
        return "the projector derives facts otherwise", {"saved_facts": saved["facts"], "facts": FACTS_VERSION}
    digest = lexicon().digest
    if saved["lexicon"] not in (None, digest):
        return "the lexicon changed", {"saved_lexicon": saved["lexicon"], "lexicon": digest}
    return None


def item_changed_envelope(change: Change, version: int, when: str, source: str) -> Envelope:
    """The ``newswire.talks.item.changed`` event of one change (id from the item and its content).
    The item goes in as the JSON the view keeps of it, not serialized again (twice: for the id,
    and in the event's data): a rebuild publishes tens of thousands of them."""
    item: Any = change.item
    body = b"removed"
    if item is not None:
        body = change.json if change.json is not None else orjson.dumps(item)
        item = orjson.Fragment(body)
    digest = hashlib.sha256(body).hexdigest()[:32]
    return Envelope(
        id=ids.derived_event_id(events.ITEM_CHANGED, change.item_id, f"{change.change}:{digest}"),
        type=events.ITEM_CHANGED,
        source=f"{source}/{STAGE}",
        subject=change.item_id,
        time=when,
        data={
            "item_id": change.item_id,
            "section": change.section,
            "change": change.change,
            "item": item,
            "view_version": version,
        },
        extractor=EXTRACTOR,
    )


@dataclass
class ProjectorLoop:
    settings: Settings
    hub: ViewHub
    stage: StageMetrics
    store: CheckpointStore
    shutdown: Shutdown
    rebuild: bool = False
    checkpoint_interval_s: float = 1.0
    poll_timeout_ms: int = 200
    on_fatal: Callable[[BaseException], None] | None = None
    clock: Callable[[], float] = time.time
    offsets: Offsets = field(default_factory=dict)
    #: ends the process when a client call never returns (default: from ``settings.stall_timeout_s``)
    watchdog: Watchdog | None = None
    _last_checkpoint: float = 0.0
    _unsaved: bool = False
    #: applied but not yet refreshed and published: their offsets wait in ``_pending_offsets``
    _pending: bool = False
    _pending_offsets: Offsets = field(default_factory=dict)
    _newest: str = ""
    _refresh_pacer: Pacer = field(default_factory=lambda: Pacer(share=REFRESH_SHARE))
    _collector: CatchUpCollector = field(default_factory=CatchUpCollector)

    def run(self) -> None:
        """Thread target: never lets an exception pass silently (health fails, on_fatal is called)."""
        self.hub.health.loop_alive = True
        try:
            self._run()
        except BaseException as exc:
            self.hub.health.loop_error = f"{type(exc).__name__}: {exc}"[:300]
            log.exception("projector loop failed", extra=logs.fields(stage=STAGE))
            if self.on_fatal is not None:
                self.on_fatal(exc)
        finally:
            self.hub.health.loop_alive = False

    def restore(self) -> None:
        """Load the checkpoint into the hub (or clear it for ``--rebuild``). Meanwhile the API
        answers 503 "restoring" and health does not count the time as a stuck loop."""
        self.hub.restore_started()
        started = time.perf_counter()
        try:
            view = self._restored_view()
        except BaseException:
            self.hub.restoring = self.hub.health.restoring = False  # (the loop fails: health says so)
            raise
        seconds = time.perf_counter() - started
        self.hub.restored(view, seconds)
        log.info(
            "view restored" if view.applied else "starting with an empty view",
            extra=logs.fields(
                stage=STAGE, view_version=view.applied, partitions=len(self.offsets), seconds=round(seconds, 3)
            ),
        )

    def _restored_view(self) -> TalksView:
        if self.rebuild:
            self.store.clear()
            log.info("rebuilding the view from offset 0", extra=logs.fields(stage=STAGE))
        saved = self.store.load()
        window_s = self.settings.view_window_days * 86400.0
        stale = None if saved.snapshot is None else _derived_otherwise(saved.snapshot, window_s)
        if stale is not None:
            reason, fields = stale
            log.warning(f"{reason}: rebuilding the view from offset 0", extra=logs.fields(stage=STAGE, **fields))
            self.store.clear()
            saved = self.store.load()
        self.offsets = dict(saved.offsets)
        if saved.snapshot is None:
            return TalksView(window=ViewWindow(window_s))
        view = TalksView.from_snapshot(saved.snapshot, refreshed=False)
        self.store.holds(view.checkpoint_parts())  # the first checkpoint writes what changed since
        view.refresh()
        return view

    def _connect(self) -> tuple[KafkaConsumer, Publisher]:
        def retried() -> None:
            self.stage.retries.labels(stage=STAGE, operation="connect").inc()

        ensure_topics(self.settings)
        # Applying an event is cheap next to NLP, but each batch ends in a refresh of every touched
        # bucket: large batches while catching up (a rebuild), small ones when live (latency).
        consumer_settings = replace(self.settings, max_poll_records=max(self.settings.max_poll_records, CATCH_UP_BATCH))
        consumer = with_broker_retry(
            lambda: make_consumer(consumer_settings, STAGE, None),
            self.settings,
            "projector consumer",
            retried,
            self.shutdown,
        )
        producer = with_broker_retry(
            lambda: make_producer(self.settings, STAGE), self.settings, "projector producer", retried, self.shutdown
        )
        return consumer, Publisher(producer, self.settings)

    def _partitions(self, consumer: KafkaConsumer) -> list[TopicPartition]:
        deadline = time.monotonic() + self.settings.connect_timeout_s
        tps: list[TopicPartition] = []
        for role in INPUT_ROLES:
            topic = topic_name(role, self.settings.topic_prefix)
            while True:
                parts = consumer.partitions_for_topic(topic)
                if parts:
                    tps.extend(TopicPartition(topic, p) for p in sorted(parts))
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no partitions known for {topic}")
                self.stage.retries.labels(stage=STAGE, operation="metadata").inc()
                if self.shutdown.wait(0.2):
                    return tps
        return tps

    def _run(self) -> None:
        self.restore()
        consumer, publisher = self._connect()
        if self.watchdog is None:
            self.watchdog = Watchdog(STAGE, self.settings.stall_timeout_s)
        self.watchdog.start()
        try:
            tps = self._partitions(consumer)
            consumer.assign(tps)
            for tp in tps:
                saved = self.offsets.get((tp.topic, tp.partition))
                if saved is None:
                    consumer.seek_to_beginning(tp)
                else:
                    consumer.seek(tp, saved)
            log.info("projector consuming", extra=logs.fields(stage=STAGE, partitions=len(tps)))
            checkpoints = Pacer(share=CHECKPOINT_SHARE, min_interval_s=self.checkpoint_interval_s)
            while not self.shutdown.requested:
                with guarded(self.watchdog, "poll"):
                    polled = consumer.poll(timeout_ms=self.poll_timeout_ms)
                records = [r for batch in polled.values() for r in batch]
                if records:
                    self.process(records, publisher, caught_up=not self._behind(consumer))
                else:
                    if self._pending:
                        self.publish_view(publisher)
                    self._collector.caught_up()  # nothing left to catch up with
                self.hub.health.polled(time.monotonic(), self._lag(consumer))
                if (self._unsaved or self._pending) and checkpoints.due(time.monotonic()):
                    started = time.monotonic()
                    self.checkpoint(publisher)
                    checkpoints.ran(started, time.monotonic())
            if self._unsaved or self._pending:
                self.checkpoint(publisher)
        finally:
            self._collector.caught_up()  # (the collector back on, whatever ended the loop)
            with guarded(self.watchdog, "close"):
                consumer.close(autocommit=False)
                publisher.close()
            self.watchdog.stop()

    def process(self, records: Sequence[Any], publisher: Publisher, caught_up: bool = True) -> list[Change]:
        """One batch: decode, apply, publish dead letters; refresh and publish the changes now when
        ``caught_up`` or when the pacer says so (else later: the batch's offsets wait for it)."""
        started = time.perf_counter()
        if not caught_up:
            self._collector.catching_up()
        self.stage.events_in.labels(stage=STAGE).inc(len(records))
        dead: list[tuple[Any, Rejected]] = []
        good: list[tuple[Any, Envelope]] = []
        for record in records:
            decoded = decode_record(record.value, self.settings.max_event_bytes, ACCEPTED_TYPES)
            if isinstance(decoded, Rejected):
                dead.append((record, decoded))
            else:
                good.append((record, decoded))
        duplicates = 0
        newest = ""
        view = self.hub.view
        with self.hub.lock:
            late_before = view.late
            for record, env in good:
                if env.id in view.seen:
                    duplicates += 1
                    continue
                try:
                    view.apply(env)
                except Exception as exc:  # a poison event: dead-letter it, keep the rest
                    dead.append((record, Rejected("processing_error", exc)))
                    continue
                newest = max(newest, env.time)
            late = view.late - late_before
        self._newest = max(self._newest, newest)
        if late:
            log.warning(
                "events older than the view's window ignored",
                extra=logs.fields(stage=STAGE, events=late, window_start=view.window.index_cutoff),
            )
            if self.hub.metrics is not None:
                self.hub.metrics.late.inc(late)
        publish_dead_letters(publisher, STAGE, dead, self.settings.event_source)
        if duplicates:
            self.stage.duplicates.labels(stage=STAGE).inc(duplicates)
        report_dead_letters(self.stage, STAGE, dead)
        for r in records:
            key = (r.topic, r.partition)
            self._pending_offsets[key] = max(self._pending_offsets.get(key, 0), r.offset + 1)
        self._pending = True
        changes: list[Change] = []
        if caught_up:
            changes = self.publish_view(publisher)
        elif self._refresh_pacer.due(time.monotonic()):
            changes = self.publish_view(publisher)
            settle_heap()  # the view grew a lot since the last paced refresh: see the function
        if caught_up:
            self._collector.caught_up()  # (after the refresh that ends a catch-up: it is the largest)
        elapsed = time.perf_counter() - started
        self.stage.batch_seconds.labels(stage=STAGE).observe(elapsed)
        self.stage.latency.labels(stage=STAGE).observe(elapsed / max(len(records), 1))
        return changes

    def publish_view(self, publisher: Publisher) -> list[Change]:
        """Refresh the view, publish its changes, wait for every ack (dead letters' too); then the
        offsets of everything applied so far are done."""
        started = time.monotonic()
        with self.hub.lock:
            changes = self.hub.view.refresh()
            version = self.hub.view.applied
        when = self._newest or events.format_time(datetime.now(UTC))
        for change in changes:
            publisher.publish(
                STATE, item_changed_envelope(change, version, when, self.settings.event_source), key=change.item_id
            )
        try:
            with guarded(self.watchdog, "flush"):
                publisher.flush(timeout_s=self.settings.request_timeout_ms / 1000 * 4)
        except Exception:
            self.stage.retries.labels(stage=STAGE, operation="produce").inc()
            raise
        if changes:
            self.stage.events_out.labels(stage=STAGE, topic=STATE).inc(len(changes))
        # publishing the changes is part of the cost the pacer spreads out (it can outweigh the
        # refresh: each change is a record, and a faster refresh alone would only publish more)
        self._refresh_pacer.ran(started, time.monotonic())
        for key, offset in self._pending_offsets.items():
            self.offsets[key] = max(self.offsets.get(key, 0), offset)
        self._pending_offsets = {}
        self._pending = False
        self._newest = ""
        self._unsaved = True
        if changes:
            self.hub.changed(changes, self.clock())
        return changes

    def checkpoint(self, publisher: Publisher | None = None) -> None:
        """View + offsets in one transaction; what is applied but unpublished is published first
        (so a restart never skips an item change)."""
        if self._pending:
            if publisher is None:
                raise RuntimeError("a checkpoint with unpublished changes needs the publisher")
            self.publish_view(publisher)
        started = time.perf_counter()
        now = self.clock()
        # no lock: only this thread changes the view, and the store writes only the rows that
        # changed since the last checkpoint (requests are not held up while it reads the view)
        size = self.store.save(self.hub.view.checkpoint_parts(), dict(self.offsets), now)
        settle_heap()  # what the view gained since the last checkpoint is long-lived
        self._last_checkpoint = now
        self._unsaved = False
        self.stage.last_commit.labels(stage=STAGE).set(now)
        if self.hub.metrics is not None:
            self.hub.metrics.checkpoint_seconds.observe(time.perf_counter() - started)
            self.hub.metrics.last_checkpoint.set(now)
            self.hub.metrics.checkpoint_bytes.set(size)

    def _behind(self, consumer: KafkaConsumer) -> bool:
        """Whether records wait beyond what was fetched (the broker's high watermark, as of the
        last fetch, is past our position on some partition): then refreshes are paced."""
        for tp in consumer.assignment():
            high = consumer.highwater(tp)
            if high is not None and high > consumer.position(tp):
                return True
        return False

    def _lag(self, consumer: KafkaConsumer) -> int | None:
        totals: dict[str, int] = {}
        known = False
        for tp in consumer.assignment():
            high = consumer.highwater(tp)
            if high is None:
                continue
            position = self.offsets.get((tp.topic, tp.partition), 0)
            known = True
            totals[tp.topic] = totals.get(tp.topic, 0) + max(high - position, 0)
        for role in INPUT_ROLES:
            name = topic_name(role, self.settings.topic_prefix)
            if name in totals:
                self.stage.lag.labels(stage=STAGE, topic=role).set(totals[name])
        return sum(totals.values()) if known else None
