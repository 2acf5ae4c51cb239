"""Polling schedule: server hints stretch the interval, failures back off, jitter stays bounded."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from ingestor.feeds.scheduler import Policy, backoff_s, next_after_failure, next_after_success, server_min_delay

P = Policy()


def test_server_hints() -> None:
    assert server_min_delay({"cache-control": "public, max-age=1800"}, None, 0) == 1800
    assert server_min_delay({"cache-control": "no-cache, max-age=1800"}, None, 0) is None
    assert server_min_delay({"expires": "Thu, 01 Jan 1970 01:00:00 GMT"}, None, 0) == 3600
    assert server_min_delay({}, 3600, 0) == 3600
    assert server_min_delay({"cache-control": "max-age=60"}, 600, 0) == 600
    assert server_min_delay({"expires": "garbage"}, None, 0) is None


def test_success_never_polls_sooner_than_asked_nor_later_than_the_cap() -> None:
    rng = random.Random(1)
    for _ in range(100):
        t = next_after_success(0, 900, 3600, P, rng)
        assert 3600 * 0.9 <= t <= 3600 * 1.1
        t = next_after_success(0, 900, 10 * 86400, P, rng)
        assert t <= P.max_interval_s * 1.1


@given(interval=st.integers(1, 86_400), failures=st.integers(1, 60))
def test_backoff_grows_and_is_capped(interval: int, failures: int) -> None:
    a = backoff_s(interval, failures, None, P)
    b = backoff_s(interval, failures + 1, None, P)
    assert P.min_backoff_s <= a <= b <= P.max_backoff_s


def test_retry_after_is_honoured() -> None:
    assert backoff_s(60, 1, 7200, P) == 7200
    rng = random.Random(2)
    assert next_after_failure(0, 60, 1, 7200, P, rng) >= 7200 * 0.9


def test_a_failing_feed_is_not_hot_looped() -> None:
    """Twenty consecutive failures of a 10 s feed cost at most a few dozen attempts a day."""
    rng = random.Random(3)
    now, attempts = 0.0, 0
    while now < 86_400:
        attempts += 1
        now = next_after_failure(now, 10, attempts, None, P, rng)
    assert attempts < 30
