"""When to do work whose cost grows with the view (a refresh, a checkpoint) while catching up.

Refreshing after every batch keeps the view freshest, but while the projector catches up (a
rebuild, a backlog) a refresh or checkpoint of a large view costs more than the batch it follows,
and doing it per batch makes the catch-up quadratic. A :class:`Pacer` spends at most ``share`` of
the time on that work: after a run that took *c* seconds, the next one is due *c·(1−share)/share*
seconds later, and never sooner than ``min_interval_s``. When the projector is caught up its loop
refreshes at once instead (a small refresh is cheap, and latency is what counts then).

Pure but for the collector: the caller passes the times. While catching up, the garbage
collector's automatic runs are paused too (:class:`CatchUpCollector`).
"""

from __future__ import annotations

import gc
import math
from dataclasses import dataclass

#: The view holds millions of small objects: with CPython's default thresholds (700, 10, 10) a
#: full collection runs every few thousand allocations and walks all of them, which cost the
#: projector a third of its time at 30k events. Young collections stay frequent; full ones rare.
GC_THRESHOLDS = (50_000, 20, 100)


def tune_gc() -> None:
    """Collector thresholds for a process that holds a large, long-lived view (the projector)."""
    gc.set_threshold(*GC_THRESHOLDS)


def settle_heap() -> None:
    """Take what survived so far out of the collector's sight (young cycles collected first).

    Even when rare, a full collection walks the whole view, and while the projector catches up
    the view grows fast enough that those walks cost it a fifth of its time. The view is a tree of
    dicts, sets and tuples freed by reference counting, so frozen objects are still freed when
    dropped; only a cycle that becomes garbage after being frozen would stay (``gc.freeze``).
    """
    gc.collect(1)
    gc.freeze()


#: While catching up, the young objects are collected (and frozen) at least this often: every
#: this many objects the collector tracks, net of those freed (``gc.get_count()[0]``).
PAUSED_MAX_YOUNG = 1_000_000


class CatchUpCollector:
    """The collector's regime: automatic while the projector is caught up, paused while it
    catches up.

    Catching up, the view gains objects faster than anything else, and the automatic young
    collections walked each of them twice (young, then middle generation) before
    :func:`settle_heap` froze it: 15–20 % of a rebuild's time (``python -m bench.projector``).
    Paused, the young objects are walked once, by :func:`settle_heap` after each paced refresh,
    and at the latest every ``max_young`` objects, so cyclic garbage (from the HTTP thread, say)
    still goes within a bounded heap. Caught up, the heap is settled and the collector back on.
    """

    __slots__ = ("max_young", "paused")

    def __init__(self, max_young: int = PAUSED_MAX_YOUNG) -> None:
        self.max_young = max_young
        self.paused = False

    def catching_up(self) -> None:
        """Before a batch applied while behind."""
        if not self.paused:
            gc.disable()
            self.paused = True
        elif gc.get_count()[0] >= self.max_young:
            settle_heap()

    def caught_up(self) -> None:
        """After a batch applied while caught up (the refresh that ends a catch-up is its largest:
        paused too), when a poll finds nothing, and when the loop ends."""
        if self.paused:
            self.paused = False
            settle_heap()
            gc.enable()


@dataclass
class Pacer:
    share: float = 0.25
    min_interval_s: float = 0.0
    last_end: float = -math.inf
    last_cost: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 < self.share <= 1.0:
            raise ValueError(f"share must be in (0, 1], not {self.share}")

    def wait_s(self) -> float:
        """How long after the last run the next one is due."""
        return max(self.min_interval_s, self.last_cost * (1.0 - self.share) / self.share)

    def due(self, now: float) -> bool:
        return now - self.last_end >= self.wait_s()

    def ran(self, started: float, ended: float) -> None:
        """Record one run of the paced work."""
        self.last_cost = max(ended - started, 0.0)
        self.last_end = ended
