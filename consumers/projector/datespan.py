"""The span of days a normalized date names, so that dates of different precision can be compared.

The claims extractor normalizes "Friday" to a day (``2025-05-16``), "last week" to an ISO week
(``2025-W20``) and "in May" to a month (``2025-05``). Two reports of one event often state it at
different precisions; a week does not contradict a day inside it, it is a vaguer statement of it
(:mod:`consumers.projector.merge` lets it join, :mod:`consumers.projector.items` shows the day).
Pure.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache

_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_WEEK = re.compile(r"(\d{4})-W(\d{2})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_YEAR = re.compile(r"(\d{4})")


@lru_cache(maxsize=4096)
def span(value: str) -> tuple[date, date] | None:
    """First and last day a date names (a day, ISO week, month or year); None when unreadable."""
    try:
        if m := _DAY.fullmatch(value):
            day = date(int(m[1]), int(m[2]), int(m[3]))
            return day, day
        if m := _WEEK.fullmatch(value):
            monday = date.fromisocalendar(int(m[1]), int(m[2]), 1)
            return monday, monday + timedelta(days=6)
        if m := _MONTH.fullmatch(value):
            first = date(int(m[1]), int(m[2]), 1)
            following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            return first, following - timedelta(days=1)
        if m := _YEAR.fullmatch(value):
            return date(int(m[1]), 1, 1), date(int(m[1]), 12, 31)
    except ValueError:  # (a month 13, a week 54: not a date)
        return None
    return None


def within(fine: str, coarse: str) -> bool:
    """Whether ``fine`` names a strictly shorter span inside ``coarse`` (a day of that week)."""
    a, b = span(fine), span(coarse)
    return a is not None and b is not None and a != b and b[0] <= a[0] and a[1] <= b[1]


def compatible(a: str | None, b: str | None) -> bool:
    """Whether two stated dates can be of one event: unstated, equal, or one inside the other."""
    return a is None or b is None or a == b or within(a, b) or within(b, a)
