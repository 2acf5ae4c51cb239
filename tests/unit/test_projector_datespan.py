"""Dates of different precision (a day, an ISO week, a month, a year) compared by the days they name."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from consumers.projector.datespan import compatible, span, within

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))


def _coarser(d: date) -> list[str]:
    year, week, _ = d.isocalendar()
    return [f"{year}-W{week:02d}", f"{d.year:04d}-{d.month:02d}", f"{d.year:04d}"]


def test_spans_of_each_precision() -> None:
    assert span("2025-05-16") == (date(2025, 5, 16), date(2025, 5, 16))
    assert span("2025-W20") == (date(2025, 5, 12), date(2025, 5, 18))
    assert span("2024-12") == (date(2024, 12, 1), date(2024, 12, 31))
    assert span("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert span("2025") == (date(2025, 1, 1), date(2025, 12, 31))
    for unreadable in ("2025-13", "2025-W54", "2025-02-30", "Monday", "", "2025-05-16T10:00"):
        assert span(unreadable) is None


@given(days)
def test_a_day_lies_within_its_week_month_and_year(d: date) -> None:
    for coarse in _coarser(d):
        assert within(d.isoformat(), coarse) and compatible(d.isoformat(), coarse) and compatible(coarse, d.isoformat())
        assert not within(coarse, d.isoformat())


@given(days, st.integers(1, 400))
def test_a_day_outside_a_span_is_neither_within_nor_compatible(d: date, later: int) -> None:
    other = d + timedelta(days=later)
    for coarse in _coarser(d):
        first, last = span(coarse) or (d, d)
        if not first <= other <= last:
            assert not within(other.isoformat(), coarse) and not compatible(other.isoformat(), coarse)
    assert not compatible(d.isoformat(), other.isoformat())


def test_equal_and_unstated_dates_are_compatible_not_within() -> None:
    assert compatible("2025-W20", "2025-W20") and not within("2025-W20", "2025-W20")
    assert compatible(None, "2025-05-16") and compatible("2025-05", None)
    assert not compatible("2025-W20", "2025-W21")
