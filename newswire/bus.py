"""The Kafka edge: producers, consumers, dead letters and the consume → process → produce → commit loop.

Delivery rules (DESIGN.md, Guarantees), made explicit here rather than left to client defaults:

* producers use ``acks=all`` and idempotence; a batch's outputs are flushed and every future is
  checked before anything is committed;
* consumers never auto-commit and start from the earliest offset when the group has none;
* a record that cannot be decoded, validated or processed goes to the dead-letter topic with its
  reason and the stage moves on; broker errors are retried a bounded, counted number of times.

Nothing here is global: every process builds its own clients from :class:`Settings`.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import signal
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import FrameType
from typing import Any, Protocol, TypeVar

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata

from newswire import events, ids, logs
from newswire.events import Envelope, EnvelopeError
from newswire.metrics import StageMetrics
from newswire.schema_registry import SchemaError, check_event
from newswire.settings import Settings
from newswire.signals import EARLY_SIGNAL
from newswire.topics import DEADLETTER, group_name, topic_name, topic_specs
from newswire.watchdog import Watchdog, guarded

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Dead-lettered payloads are kept whole up to this size, else truncated (hash and size kept).
DEADLETTER_PAYLOAD_CAP = 512 * 1024


class StageFatal(RuntimeError):
    """The broker did not acknowledge outputs after bounded retries: stop without committing."""


# --------------------------------------------------------------------------------------------
# shutdown


class Shutdown:
    """Set by SIGTERM/SIGINT; loops check it between batches so that they drain cleanly."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def install(self) -> Shutdown:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._handle)
            signal.signal(signal.SIGINT, self._handle)
        if EARLY_SIGNAL.is_set():
            self.event.set()
        return self

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        log.info("shutdown requested", extra=logs.fields(signal=signal.Signals(signum).name))
        self.event.set()

    @property
    def requested(self) -> bool:
        return self.event.is_set()

    def wait(self, seconds: float) -> bool:
        return self.event.wait(seconds)


# --------------------------------------------------------------------------------------------
# connecting with bounded, counted retries


def with_broker_retry(
    connect: Callable[[], T],
    settings: Settings,
    what: str,
    on_retry: Callable[[], None] | None = None,
    shutdown: Shutdown | None = None,
) -> T:
    """Call ``connect`` until the broker answers, with exponential backoff, for at most
    ``NEWSWIRE_CONNECT_TIMEOUT_S`` seconds; each retry is logged and counted."""
    deadline = time.monotonic() + settings.connect_timeout_s
    delay = max(settings.retry_backoff_ms / 1000.0, 0.05)
    attempt = 0
    while True:
        attempt += 1
        try:
            return connect()
        except KafkaError as exc:
            retriable = bool(getattr(exc, "retriable", False))
            if not retriable or time.monotonic() + delay > deadline:
                raise
            log.warning(
                "broker not reachable, retrying",
                extra=logs.fields(
                    what=what,
                    attempt=attempt,
                    retry_in_s=round(delay, 2),
                    error=type(exc).__name__,
                    bootstrap=settings.kafka_bootstrap,
                ),
            )
            if on_retry is not None:
                on_retry()
            if shutdown is not None and shutdown.wait(delay):
                raise
            if shutdown is None:
                time.sleep(delay)
            delay = min(delay * 2, 10.0)


def make_producer(settings: Settings, client_id: str, *, max_request_size: int | None = None) -> KafkaProducer:
    """An idempotent producer: ``acks=all``, bounded retries and delivery timeout."""
    return KafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        client_id=f"{settings.client_id}-{client_id}",
        acks="all",
        enable_idempotence=True,
        retries=settings.retries,
        retry_backoff_ms=settings.retry_backoff_ms,
        max_in_flight_requests_per_connection=5,
        delivery_timeout_ms=max(120_000, settings.request_timeout_ms + 5_000),
        request_timeout_ms=settings.request_timeout_ms,
        linger_ms=5,
        # (a batch that fills wakes the sender thread, a write to a socket: the projector's item
        # changes are ~2 kB, so with the 16 kB default a rebuild woke it every eighth record)
        batch_size=256 * 1024,
        max_request_size=max_request_size or max(settings.max_event_bytes * 2, 1_048_576),
        compression_type=None,
        bootstrap_timeout_ms=5_000,
    )


def make_consumer(
    settings: Settings,
    client_id: str,
    group_id: str | None,
    topics: Sequence[str] = (),
) -> KafkaConsumer:
    """A consumer with every delivery-relevant option set explicitly (never the client defaults)."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        client_id=f"{settings.client_id}-{client_id}",
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_poll_records=settings.max_poll_records,
        max_poll_interval_ms=settings.max_poll_interval_ms,
        session_timeout_ms=settings.session_timeout_ms,
        heartbeat_interval_ms=max(settings.session_timeout_ms // 3, 100),
        request_timeout_ms=max(settings.request_timeout_ms, settings.session_timeout_ms + 5_000),
        fetch_max_bytes=max(settings.max_event_bytes * 4, 52_428_800),
        max_partition_fetch_bytes=max(settings.max_event_bytes * 4, 1_048_576),
        bootstrap_timeout_ms=5_000,
    )
    if topics:
        consumer.subscribe(list(topics))
    return consumer


def ensure_topics(settings: Settings) -> dict[str, str]:
    """Create the contract's topics if missing (idempotent); returns name → created/exists."""
    admin = with_broker_retry(
        lambda: KafkaAdminClient(
            bootstrap_servers=settings.bootstrap_servers,
            client_id=f"{settings.client_id}-admin",
            bootstrap_timeout_ms=5_000,
        ),
        settings,
        "admin",
    )
    outcome: dict[str, str] = {}
    try:
        existing = set(admin.list_topics())
        for spec in topic_specs(settings.topic_prefix, settings.partitions):
            if spec.name in existing:
                outcome[spec.name] = "exists"
                continue
            try:
                admin.create_topics(
                    [
                        NewTopic(
                            spec.name,
                            spec.partitions,
                            settings.replication_factor,
                            topic_configs=spec.configs,
                        )
                    ]
                )
                outcome[spec.name] = "created"
            except TopicAlreadyExistsError:
                outcome[spec.name] = "exists"
    finally:
        admin.close()
    return outcome


# --------------------------------------------------------------------------------------------
# publishing


@dataclass
class Publisher:
    """Sends envelopes and raw records; :meth:`flush` waits for every acknowledgement."""

    producer: KafkaProducer
    settings: Settings
    _pending: list[Any] = field(default_factory=list)

    def publish(self, role: str, envelope: Envelope, key: str | None = None) -> Any:
        """Queue an envelope on the topic of ``role``, keyed by its subject unless told otherwise."""
        value = events.encode(envelope)
        return self.send(
            topic_name(role, self.settings.topic_prefix),
            (key or envelope.subject).encode(),
            value,
            envelope.headers(),
        )

    def send(self, topic: str, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]]) -> Any:
        future = self.producer.send(topic, key=key, value=value, headers=headers)
        self._pending.append(future)
        return future

    def flush(self, timeout_s: float | None = None) -> list[Any]:
        """Wait until every queued record is acknowledged; raise :class:`StageFatal` otherwise."""
        pending, self._pending = self._pending, []
        self.producer.flush(timeout=timeout_s)
        results = []
        for fut in pending:
            try:
                results.append(fut.get(timeout=0))
            except KafkaError as exc:
                raise StageFatal(f"broker did not acknowledge a record: {exc!r}") from exc
        return results

    def close(self, timeout_s: float = 10.0) -> None:
        self.producer.close(timeout=timeout_s)


# --------------------------------------------------------------------------------------------
# dead letters


class RecordLike(Protocol):
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int


def deadletter_envelope(
    *,
    stage: str,
    reason: str,
    error: BaseException | str,
    record: RecordLike | None,
    source: str,
    attempts: int = 1,
    payload: bytes | None = None,
    subject: str | None = None,
    now: datetime | None = None,
) -> Envelope:
    """A ``newswire.deadletter`` event: the original record's coordinates, the reason and the error.

    The payload is kept whole up to :data:`DEADLETTER_PAYLOAD_CAP` (base64), otherwise truncated,
    with its size and sha256 so that nothing about it is lost silently.
    """
    raw = payload if payload is not None else (record.value if record is not None else None)
    raw = raw or b""
    key = record.key.decode("utf-8", "replace") if record is not None and record.key is not None else None
    coords = (
        {
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "key": key,
            "timestamp_ms": record.timestamp,
        }
        if record is not None
        else None
    )
    error_class = type(error).__name__ if isinstance(error, BaseException) else "Rejected"
    message = str(error)[:2000]
    coord_text = f"{record.topic}/{record.partition}/{record.offset}" if record is not None else ""
    sha = hashlib.sha256(raw).hexdigest()
    return Envelope(
        id=ids.derived_event_id(events.DEADLETTER, coord_text or sha, f"{stage}:{reason}"),
        type=events.DEADLETTER,
        source=f"{source}/{stage}",
        subject=subject or key or f"sha256:{sha[:16]}",
        time=events.format_time(now or datetime.now(UTC)),
        data={
            "stage": stage,
            "reason": reason,
            "error_class": error_class,
            "error_message": message,
            "original": coords,
            "source": None,
            "payload": base64.b64encode(raw[:DEADLETTER_PAYLOAD_CAP]).decode("ascii"),
            "payload_truncated": len(raw) > DEADLETTER_PAYLOAD_CAP,
            "payload_bytes": len(raw),
            "payload_sha256": sha,
            "attempts": attempts,
        },
    )


# --------------------------------------------------------------------------------------------
# decoding records


@dataclass(frozen=True)
class Rejected:
    """A record the stage cannot take, with the dead-letter reason (errors as data)."""

    reason: str
    error: BaseException


def decode_record(value: bytes | None, max_bytes: int, accepted_types: Iterable[str]) -> Envelope | Rejected:
    """Bytes → a schema-valid envelope of an accepted type, or the reason it is not one."""
    if value is not None and len(value) > max_bytes:
        return Rejected("too_large", ValueError(f"record of {len(value)} bytes exceeds {max_bytes}"))
    try:
        raw = events.parse_json(value)
        envelope = events.envelope_from_dict(raw)
        check_event({**envelope.attributes(), "data": raw["data"]})  # the plain data: no thawing
    except EnvelopeError as exc:
        return Rejected(exc.reason, exc)
    except SchemaError as exc:
        return Rejected("schema_invalid", exc)
    if envelope.type not in set(accepted_types):
        return Rejected("unknown_type", ValueError(f"this stage does not take {envelope.type!r} events"))
    return envelope


def publish_dead_letters(publisher: Publisher, stage: str, dead: Sequence[tuple[Any, Rejected]], source: str) -> None:
    """Queue a dead letter per rejected record, keyed by the original key (acked by the next flush)."""
    for record, rejected in dead:
        publisher.publish(
            DEADLETTER,
            deadletter_envelope(
                stage=stage, reason=rejected.reason, error=rejected.error, record=record, source=source
            ),
            key=record.key.decode("utf-8", "replace") if record.key else None,
        )


def report_dead_letters(metrics: StageMetrics, stage: str, dead: Sequence[tuple[Any, Rejected]]) -> None:
    """Count and log dead letters once they were acknowledged."""
    for record, rejected in dead:
        metrics.deadletters.labels(stage=stage, reason=rejected.reason).inc()
        log.warning(
            "dead-lettered a record",
            extra=logs.fields(
                stage=stage,
                reason=rejected.reason,
                error=str(rejected.error)[:300],
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
            ),
        )


# --------------------------------------------------------------------------------------------
# the stage loop


@dataclass(frozen=True)
class Output:
    """One event a stage emits for an input: the topic role and the envelope (key = subject)."""

    role: str
    envelope: Envelope


#: A stage's pure-ish core: a batch of input events → for each, its outputs (same order).
BatchHandler = Callable[[Sequence[Envelope]], Sequence[Sequence[Output]]]


class RecentIds:
    """A bounded set of recently seen event ids (insertion order, oldest evicted)."""

    def __init__(self, capacity: int = 50_000) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    def seen(self, event_id: str) -> bool:
        return event_id in self._ids

    def add(self, event_id: str) -> None:
        self._ids[event_id] = None
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)

    def discard(self, event_id: str) -> None:
        self._ids.pop(event_id, None)


@dataclass
class StageRunner:
    """Consumer-group loop shared by the enrichers.

    poll → decode/validate (bad records → dead letters) → drop ids already done → handler →
    produce outputs → flush and check acks → commit offsets. A handler exception on a batch is
    retried event by event so that one poison event is dead-lettered and the others go through.
    """

    name: str
    settings: Settings
    input_roles: Sequence[str]
    accepted_types: Sequence[str]
    handler: BatchHandler
    metrics: StageMetrics
    shutdown: Shutdown
    group_id: str | None = None
    poll_timeout_ms: int = 500
    on_batch_done: Callable[[int], None] | None = None
    #: fault injection: called after outputs are acknowledged, before offsets are committed
    before_commit: Callable[[], None] | None = None
    #: ends the process when a client call never returns (default: from ``settings.stall_timeout_s``)
    watchdog: Watchdog | None = None
    _consumer: KafkaConsumer | None = None
    _publisher: Publisher | None = None
    _recent: RecentIds = field(default_factory=RecentIds)

    def _connect(self) -> None:
        for operation in ("connect", "produce", "commit"):
            self.metrics.retries.labels(stage=self.name, operation=operation)  # series exist at 0
        topics = [topic_name(r, self.settings.topic_prefix) for r in self.input_roles]

        def retry_counter() -> None:
            self.metrics.retries.labels(stage=self.name, operation="connect").inc()

        self._publisher = Publisher(
            with_broker_retry(
                lambda: make_producer(self.settings, self.name),
                self.settings,
                f"{self.name} producer",
                retry_counter,
                self.shutdown,
            ),
            self.settings,
        )
        group = self.group_id or group_name(self.name, self.settings.topic_prefix)
        self._consumer = with_broker_retry(
            lambda: make_consumer(self.settings, self.name, group, topics),
            self.settings,
            f"{self.name} consumer",
            retry_counter,
            self.shutdown,
        )

    def run(self) -> None:
        """Run until shutdown is requested; drains the batch in hand, then commits and closes."""
        self._connect()
        assert self._consumer is not None and self._publisher is not None
        if self.watchdog is None:
            self.watchdog = Watchdog(self.name, self.settings.stall_timeout_s)
        self.watchdog.start()
        log.info("stage started", extra=logs.fields(stage=self.name, topics=list(self.input_roles)))
        try:
            while not self.shutdown.requested:
                with guarded(self.watchdog, "poll"):
                    polled = self._consumer.poll(timeout_ms=self.poll_timeout_ms)
                records = [r for batch in polled.values() for r in batch]
                if records:
                    self.process_records(records)
                self._export_lag()
        finally:
            self.close()
            self.watchdog.stop()

    def close(self) -> None:
        if self._consumer is not None:
            with guarded(self.watchdog, "close"):
                self._consumer.close(autocommit=False)
            self._consumer = None
        if self._publisher is not None:
            self._publisher.close()
            self._publisher = None
        log.info("stage stopped", extra=logs.fields(stage=self.name))

    def process_records(self, records: Sequence[Any]) -> None:
        assert self._publisher is not None
        started = time.perf_counter()
        stage = self.name
        self.metrics.events_in.labels(stage=stage).inc(len(records))
        good: list[tuple[Any, Envelope]] = []
        dead: list[tuple[Any, Rejected]] = []
        for record in records:
            decoded = decode_record(record.value, self.settings.max_event_bytes, self.accepted_types)
            if isinstance(decoded, Rejected):
                dead.append((record, decoded))
            elif self._recent.seen(decoded.id):
                self.metrics.duplicates.labels(stage=stage).inc()
            else:
                good.append((record, decoded))
        outputs = self._handle(good, dead)
        publish_dead_letters(self._publisher, stage, dead, self.settings.event_source)
        out_counts: dict[str, int] = {}
        for out in outputs:
            self._publisher.publish(out.role, out.envelope)
            out_counts[out.role] = out_counts.get(out.role, 0) + 1
        self._flush_with_retry()
        for role, n in out_counts.items():
            self.metrics.events_out.labels(stage=stage, topic=role).inc(n)
        report_dead_letters(self.metrics, stage, dead)
        for _record, env in good:
            self._recent.add(env.id)
        if self.before_commit is not None:
            self.before_commit()
        self._commit(records)
        elapsed = time.perf_counter() - started
        self.metrics.batch_seconds.labels(stage=stage).observe(elapsed)
        per_event = elapsed / max(len(records), 1)
        for _ in records:
            self.metrics.latency.labels(stage=stage).observe(per_event)
        if self.on_batch_done is not None:
            self.on_batch_done(len(records))

    def _handle(self, good: list[tuple[Any, Envelope]], dead: list[tuple[Any, Rejected]]) -> list[Output]:
        if not good:
            return []
        try:
            per_input = self.handler([env for _r, env in good])
            return [o for outs in per_input for o in outs]
        except Exception:
            log.exception("batch failed; isolating the failing event", extra=logs.fields(stage=self.name))
        outputs: list[Output] = []
        for record, env in good:
            try:
                outputs.extend(o for outs in self.handler([env]) for o in outs)
            except Exception as exc:  # a poison event: dead-letter it, keep the rest
                dead.append((record, Rejected("processing_error", exc)))
        return outputs

    def _flush_with_retry(self) -> None:
        assert self._publisher is not None
        try:
            with guarded(self.watchdog, "flush"):
                self._publisher.flush(timeout_s=self.settings.request_timeout_ms / 1000 * 4)
        except StageFatal:
            self.metrics.retries.labels(stage=self.name, operation="produce").inc()
            raise

    def _commit(self, records: Sequence[Any]) -> None:
        assert self._consumer is not None
        offsets: dict[TopicPartition, OffsetAndMetadata] = {}
        for r in records:
            tp = TopicPartition(r.topic, r.partition)
            if tp not in offsets or offsets[tp].offset < r.offset + 1:
                offsets[tp] = OffsetAndMetadata(r.offset + 1, "", -1)
        for attempt in range(1, self.settings.retries + 1):
            try:
                with guarded(self.watchdog, "commit"):
                    self._consumer.commit(offsets)
                self.metrics.last_commit.labels(stage=self.name).set(time.time())
                return
            except KafkaError as exc:
                # After a rebalance the partitions belong to another member: the records will be
                # redelivered there (at-least-once; downstream drops duplicate ids).
                retriable = getattr(exc, "retriable", False)
                self.metrics.retries.labels(stage=self.name, operation="commit").inc()
                log.warning(
                    "commit failed",
                    extra=logs.fields(stage=self.name, error=repr(exc)[:300], attempt=attempt),
                )
                if not retriable:
                    return
                time.sleep(self.settings.retry_backoff_ms / 1000 * attempt)

    def _export_lag(self) -> None:
        assert self._consumer is not None
        totals: dict[str, int] = {}
        for tp in self._consumer.assignment():
            high = self._consumer.highwater(tp)
            if high is None:
                continue
            try:
                position = self._consumer.position(tp, timeout_ms=100)
            except KafkaError:
                continue
            if position is None:
                continue
            totals[tp.topic] = totals.get(tp.topic, 0) + max(high - position, 0)
        for topic, lag in totals.items():
            role = next((r for r in self.input_roles if topic_name(r, self.settings.topic_prefix) == topic), topic)
            self.metrics.lag.labels(stage=self.name, topic=role).set(lag)
