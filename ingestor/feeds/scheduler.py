"""When to poll each feed next (pure: the clock and the random source are passed in).

* success: the configured interval, stretched (never shortened) by what the server asks for —
  ``Cache-Control: max-age``, ``Expires``, RSS ``<ttl>`` — and capped at :attr:`Policy.max_interval_s`;
* failure: exponential backoff from the interval, honouring ``Retry-After``, capped at
  :attr:`Policy.max_backoff_s`: a feed that keeps failing is polled rarely and reported, never
  retried in a hot loop;
* every delay gets ±``jitter`` so that feeds configured together do not poll in lockstep.
"""

from __future__ import annotations

import contextlib
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

_MAX_AGE = re.compile(r"(?:^|[,\s])(?:s-)?max-age\s*=\s*\"?(\d+)")


@dataclass(frozen=True)
class Policy:
    jitter: float = 0.1
    max_interval_s: float = 24 * 3600.0
    max_backoff_s: float = 6 * 3600.0
    min_backoff_s: float = 30.0
    failing_after: int = 5  # consecutive failures after which a feed is reported as failing


def server_min_delay(headers: Mapping[str, str], ttl_s: int | None, now: float) -> float | None:
    """The longest "do not come back before" the server expressed, in seconds from ``now``."""
    hints: list[float] = []
    cc = headers.get("cache-control", "")
    m = _MAX_AGE.search(cc.lower())
    if m and "no-cache" not in cc.lower() and "no-store" not in cc.lower():
        hints.append(float(m.group(1)))
    elif headers.get("expires"):
        with contextlib.suppress(TypeError, ValueError):
            hints.append(parsedate_to_datetime(headers["expires"]).timestamp() - now)
    if ttl_s:
        hints.append(float(ttl_s))
    hints = [h for h in hints if h > 0]
    return max(hints) if hints else None


def _jittered(delay: float, policy: Policy, rng: random.Random) -> float:
    return delay * (1.0 + rng.uniform(-policy.jitter, policy.jitter))


def next_after_success(
    now: float, interval_s: float, server_delay_s: float | None, policy: Policy, rng: random.Random
) -> float:
    delay = max(interval_s, server_delay_s or 0.0)
    return now + _jittered(min(delay, max(policy.max_interval_s, interval_s)), policy, rng)


def backoff_s(interval_s: float, failures: int, retry_after_s: float | None, policy: Policy) -> float:
    """Delay before the next attempt after ``failures`` consecutive failures (>= 1)."""
    base = max(min(interval_s, policy.max_backoff_s), policy.min_backoff_s)
    delay = min(base * (2.0 ** max(failures - 1, 0)), policy.max_backoff_s)
    if retry_after_s is not None:
        delay = max(delay, min(retry_after_s, policy.max_interval_s))
    return delay


def next_after_failure(
    now: float,
    interval_s: float,
    failures: int,
    retry_after_s: float | None,
    policy: Policy,
    rng: random.Random,
) -> float:
    return now + _jittered(backoff_s(interval_s, failures, retry_after_s, policy), policy, rng)


def first_poll(now: float, interval_s: float, rng: random.Random, spread_s: float = 5.0) -> float:
    """Spread the start-up polls over a few seconds instead of firing every feed at once."""
    return now + rng.uniform(0.0, min(spread_s, interval_s))
