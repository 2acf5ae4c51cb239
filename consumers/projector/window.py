"""How far back the view reaches: a time window that bounds the projector's memory (pure).

Without one the view keeps every article it ever saw, and a daemon that runs for weeks grows
without bound. With a window of *w* seconds the view keeps the events of the last *w* seconds
before a *watermark*, and forgets older ones (their items lose those sources, or go).

The watermark is the ``WATERMARK_RANK``-th newest event time seen, not the newest: a few events
dated years ahead (a feed's typo) must not empty the view. It only moves forward as events arrive,
and so does the cutoff (the watermark minus the window, floored to ``CUTOFF_STEP_S`` so that the
view forgets in steps, not at every article). Both are functions of the *set* of events seen,
so the view stays a function of that set: an event older than the cutoff is dropped when it
arrives, and one that was applied earlier is forgotten when the cutoff passes it — either way it
is not in the view.

The story index (:mod:`consumers.projector.stories`) forgets too, but in coarser steps: it cannot
take an article back out, so it is rebuilt from the sketches it keeps, and that costs a pass over
the window. Its cutoff (``index_cutoff``) is the view's floored to a quarter of the window; events
older than the view's cutoff but not the index's still join the index when they arrive, so the
stories too are a function of the set of events. The index holds at most 1¼ windows of sketches.

Times are the events' own (``time``: an article's publication time; derived events keep their
article's), never a clock.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping
from typing import Any

from newswire.events import parse_time

#: The watermark is the time of the event this far from the newest.
WATERMARK_RANK = 10
#: The cutoff moves in steps of this many seconds.
CUTOFF_STEP_S = 3600.0
#: The story index's cutoff moves in steps of this share of the window.
INDEX_STEPS_PER_WINDOW = 4


def event_epoch(time: str | None) -> float | None:
    """An event time as Unix seconds, or None when it cannot be read (then it is never forgotten)."""
    if not time:
        return None
    try:
        return parse_time(time).timestamp()
    except ValueError:
        return None


class ViewWindow:
    """The window of a view: its length, and the newest event times that place it."""

    __slots__ = ("_newest", "seconds")

    def __init__(self, seconds: float = 0.0, newest: Iterable[float] = ()) -> None:
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"a view window is a length in seconds >= 0 (0: keep everything), not {seconds}")
        self.seconds = float(seconds)
        self._newest: list[float] = []  # a min-heap of the WATERMARK_RANK newest event times
        for t in newest:
            self.see(t)

    @property
    def enabled(self) -> bool:
        return self.seconds > 0

    def see(self, epoch: float | None) -> None:
        """An event's time (it may move the watermark forward)."""
        if epoch is None or not self.enabled:
            return
        if len(self._newest) < WATERMARK_RANK:
            heapq.heappush(self._newest, epoch)
        elif epoch > self._newest[0]:
            heapq.heapreplace(self._newest, epoch)

    @property
    def watermark(self) -> float | None:
        """The ``WATERMARK_RANK``-th newest event time (None until that many were seen)."""
        return self._newest[0] if len(self._newest) >= WATERMARK_RANK else None

    @property
    def cutoff(self) -> float | None:
        """Events older than this are not in the view (None: nothing is forgotten yet)."""
        mark = self.watermark
        if mark is None or not self.enabled:
            return None
        return math.floor((mark - self.seconds) / CUTOFF_STEP_S) * CUTOFF_STEP_S

    def keeps(self, epoch: float | None) -> bool:
        cutoff = self.cutoff
        return cutoff is None or epoch is None or epoch >= cutoff

    @property
    def index_cutoff(self) -> float | None:
        """Sketches older than this leave the story index (see the module doc)."""
        cutoff = self.cutoff
        if cutoff is None:
            return None
        step = max(self.seconds / INDEX_STEPS_PER_WINDOW, CUTOFF_STEP_S)
        return math.floor(cutoff / step) * step

    def indexes(self, epoch: float | None) -> bool:
        """Whether an event's sketch belongs in the story index (it may be too old for the view)."""
        cutoff = self.index_cutoff
        return cutoff is None or epoch is None or epoch >= cutoff

    def to_json(self) -> dict[str, Any]:
        return {"seconds": self.seconds, "newest": sorted(self._newest)}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any] | None) -> ViewWindow:
        if not raw:
            return cls()
        return cls(float(raw.get("seconds", 0.0)), (float(t) for t in raw.get("newest", ())))
