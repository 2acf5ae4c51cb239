"""Helpers shared by the benchmarks: medians, peak RSS, an embedded broker."""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def median_rate(fn: Callable[[], int], repeats: int = 3) -> tuple[float, list[float]]:
    """Run ``fn`` (which returns how many units it processed) ``repeats`` times; units/s median."""
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        n = fn()
        rates.append(n / (time.perf_counter() - t0))
    return statistics.median(rates), rates


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def report(name: str, figures: dict[str, float | str]) -> None:
    print(f"== {name}")
    for k, v in figures.items():
        print(f"  {k:40} {v:>12.2f}" if isinstance(v, float) else f"  {k:40} {v:>12}")
