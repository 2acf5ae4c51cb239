"""Reading topics back in tests (assign + seek to beginning; no consumer group)."""

from __future__ import annotations

from typing import Any

from kafka import TopicPartition

from newswire.bus import make_consumer
from newswire.settings import Settings
from newswire.topics import topic_name


def read_all(settings: Settings, role: str, expect_at_least: int = 0, timeout_s: float = 20.0) -> list[Any]:
    """Every record of a topic, polling until ``expect_at_least`` arrived or the deadline passed."""
    import time

    consumer = make_consumer(settings, "test-reader", None)
    name = topic_name(role, settings.topic_prefix)
    try:
        deadline = time.monotonic() + timeout_s
        parts = None
        while not parts and time.monotonic() < deadline:
            parts = consumer.partitions_for_topic(name)
        if not parts:
            return []
        tps = [TopicPartition(name, p) for p in sorted(parts)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        records: list[Any] = []
        idle_until = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            got = consumer.poll(timeout_ms=200)
            batch = [r for rs in got.values() for r in rs]
            records.extend(batch)
            if batch:
                idle_until = time.monotonic() + 0.5
            if len(records) >= expect_at_least and time.monotonic() > idle_until:
                break
        return records
    finally:
        consumer.close(autocommit=False)
