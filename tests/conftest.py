"""Shared fixtures: a real Kafka-protocol broker (embedded Tansu), settings, and a waiter.

Tests never sleep to synchronise: they wait on a condition with a deadline (:func:`wait_until`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import pytest

from newswire.broker import EmbeddedBroker, start_broker
from newswire.settings import Settings

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEEDS = ROOT / "seeds"
GOLD = SHARED / "eval" / "seeds.gold.json"


def wait_until(check: Callable[[], T], timeout: float = 30.0, interval: float = 0.05, what: str = "") -> T:
    """Poll ``check`` until it returns a truthy value; fail the test at the deadline."""
    deadline = time.monotonic() + timeout
    last: T = check()
    while not last:
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or check}")
        time.sleep(interval)
        last = check()
    return last


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    log_path = tmp_path_factory.mktemp("broker") / "tansu.log"
    b = start_broker(log_path=log_path)
    yield b
    b.stop()


@pytest.fixture
def settings(broker: EmbeddedBroker, tmp_path: Path) -> Settings:
    """Settings pointing at the session broker, with a fresh topic prefix per test (isolation)."""
    prefix = f"t{uuid.uuid4().hex[:8]}."
    return replace(
        Settings(),
        kafka_bootstrap=broker.bootstrap,
        topic_prefix=prefix,
        partitions=3,
        max_poll_interval_ms=3_000,
        session_timeout_ms=3_000,
        connect_timeout_s=30,
        stall_timeout_s=0,  # stages run in the test's own process: a stall must fail the test, not exit
        data_dir=str(tmp_path / "data"),
        log_format="text",
    )
