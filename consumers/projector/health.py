"""When is the projector unhealthy? (pure: the caller passes the clock readings in)

* the consumer loop died, or has not completed a poll for ``stuck_after_s`` (counted from the end
  of the restore from its checkpoint: restoring a large view takes a while, and a supervisor that
  restarted the projector for it would only start the restore over);
* the lag keeps growing: over the last ``window_s`` every sample was higher than the one before
  and the lag is above ``lag_floor`` (a busy but catching-up consumer is healthy).
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Health:
    stuck_after_s: float = 60.0
    window_s: float = 120.0
    lag_floor: int = 1_000
    started_at: float = 0.0
    last_poll: float | None = None
    loop_error: str | None = None
    loop_alive: bool = False
    restoring: bool = False  # the view is being restored from its checkpoint
    _lags: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=256))

    def restored(self, now: float) -> None:
        """The restore ended: from now on the loop must poll."""
        self.restoring = False
        self.started_at = now

    def polled(self, now: float, lag: int | None) -> None:
        self.last_poll = now
        if lag is not None:
            self._lags.append((now, lag))

    def _lag_growing(self, now: float) -> bool:
        recent = [(t, lag) for t, lag in self._lags if now - t <= self.window_s]
        if len(recent) < 5 or recent[-1][0] - recent[0][0] < self.window_s / 2:
            return False
        rising = all(b[1] > a[1] for a, b in itertools.pairwise(recent))
        return rising and recent[-1][1] > self.lag_floor

    def check(self, now: float) -> tuple[bool, dict[str, Any]]:
        """(healthy, details) at time ``now``."""
        problems: list[str] = []
        if self.loop_error:
            problems.append(f"consumer loop failed: {self.loop_error}")
        elif not self.loop_alive:
            problems.append("consumer loop is not running")
        last = self.last_poll if self.last_poll is not None else self.started_at
        if not self.restoring and now - last > self.stuck_after_s:
            problems.append(f"no poll for {now - last:.0f}s")
        if self._lag_growing(now):
            problems.append("consumer lag grows without bound")
        lag = self._lags[-1][1] if self._lags else None
        details: dict[str, Any] = {
            "status": "ok" if not problems else "failing",
            "phase": "restoring" if self.restoring else "consuming",
            "problems": problems,
            "lag": lag,
            "seconds_since_poll": None if self.last_poll is None else round(now - self.last_poll, 3),
        }
        return not problems, details
