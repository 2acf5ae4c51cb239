"""Time expressions as written, normalized against the article's publication date.

"on Monday" in an article of Sunday 2025-05-18 is 2025-05-19 when the event lies ahead and the
Monday before when it is past; "Friday's talks" is the Friday before; "last week" is an ISO week
(``2025-W20``: in a Sunday paper, the week that ends that day); "overnight" and "today" are the
publication date. Unknown → ``date: None``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from consumers.claims.lexicon import Lexicon
from consumers.claims.records import TimeExpr

_DURATION_UNITS = frozenset({"year", "month", "week", "day", "hour", "minute", "decade"})
_DAY_NUM = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\b")
_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def _iso_week(d: date) -> str:
    year, week, _ = d.isocalendar()
    return f"{year}-W{week:02d}"


def _sunday_ahead(published: date) -> date:
    """The coming Monday for a Sunday, else the day itself. A Sunday is the last day of its ISO
    week, but a paper of that day looks both ways: its "last week" is the week that ends that
    day, and its "this week", of what lies ahead, the coming one."""
    return published + timedelta(days=1) if published.isoweekday() == 7 else published


def current_week(published: date) -> str:
    """The ISO week from which an article tells past weeks from coming ones (see :func:`_sunday_ahead`)."""
    return _iso_week(_sunday_ahead(published))


def normalize(text: str, published: date | None, lex: Lexicon, *, future: bool = False) -> str | None:
    """ISO date (or ISO week / year-month) of a time expression, or None if it has none."""
    low = text.lower().replace("’", "'")
    m = _ISO.search(low)
    if m:
        return m.group(0)
    if published is None:
        return None
    for phrase, offset in sorted(lex.relative_days.items(), key=lambda kv: -len(kv[0])):
        if re.search(rf"\b{re.escape(phrase)}\b", low):
            return (published + timedelta(days=offset)).isoformat()
    for phrase, offset in lex.relative_weeks.items():
        if phrase in low:
            # ("next week" from a Sunday is the coming one, as it is from the Saturday before)
            anchor = _sunday_ahead(published) if offset < 0 or (offset == 0 and future) else published
            return _iso_week(anchor + timedelta(weeks=offset))
    for phrase, offset in lex.relative_months.items():
        if phrase in low:
            months = published.year * 12 + published.month - 1 + offset
            return f"{months // 12:04d}-{months % 12 + 1:02d}"
    for i, name in enumerate(lex.weekdays):
        if re.search(rf"\b{name}\b", low):
            delta = (i - published.weekday()) % 7
            if "next" in low:
                delta = delta or 7
            elif "last" in low or "'s" in low or not future:
                delta = delta - 7 if delta else (-7 if "last" in low else 0)
            return (published + timedelta(days=delta)).isoformat()
    for i, name in enumerate(lex.months):
        if re.search(rf"\b{name}\b", low):
            year_m = _YEAR.search(low)
            year = int(year_m.group(0)) if year_m else published.year
            if not year_m and not future and i + 1 > published.month:
                year -= 1
            if not year_m and future and i + 1 < published.month:
                year += 1
            day_m = _DAY_NUM.search(low.replace(year_m.group(0), "") if year_m else low)
            if day_m and 1 <= int(day_m.group(1)) <= 31:
                try:
                    return date(year, i + 1, int(day_m.group(1))).isoformat()
                except ValueError:
                    return None
            return f"{year:04d}-{i + 1:02d}"
    return None


def is_duration(span: Any) -> bool:
    """ "three years", "a day", "for two weeks": a length of time, not a point in time."""
    units = [t for t in span if t.lemma_.lower() in _DURATION_UNITS]
    has_number = any(t.like_num or t.lower_ in ("a", "an") for t in span)
    plural = any(t.tag_ == "NNS" for t in units)  # "after weeks of talks"
    return bool(units) and (has_number or plural)


def time_candidates(sent: Any, lex: Lexicon, ents: Sequence[Any] | None = None) -> list[Any]:
    """DATE/TIME entities and relative day words of a sentence (durations left out).

    ``ents`` are the document's entities inside the sentence when the caller has them at hand
    (``Span.ents`` walks every entity of the document)."""
    found = sent.ents if ents is None else ents
    out = [e for e in found if e.label_ in ("DATE", "TIME") and not is_duration(e)]
    taken = {t.i for e in out for t in e}
    for tok in sent:
        if tok.i in taken:
            continue
        if tok.lower_ in lex.relative_days or tok.lower_ in lex.weekdays:
            out.append(sent.doc[tok.i : tok.i + 1])
    return out


def _attached(root: Any, anchors: Sequence[Any], steps: int = 3) -> bool:
    """Does the time expression belong to the anchor's own clause ("talks on Monday", "met …
    on Monday", "Monday's call") rather than to another clause of the sentence?"""
    cur = root
    for _ in range(steps):
        if any(cur.i == a.i for a in anchors):
            return True
        if cur.head.i == cur.i or cur.dep_ in ("ccomp", "relcl", "advcl", "conj", "acl"):
            return False
        cur = cur.head
    return any(cur.i == a.i for a in anchors)


def find_time(
    candidates: Sequence[Any], anchors: Sequence[Any], published: date | None, lex: Lexicon, *, future: bool = False
) -> TimeExpr | None:
    """Of a sentence's time expressions (:func:`time_candidates`), the one of the anchors' clause
    nearest to them."""
    cands = [c for c in candidates if _attached(c.root, anchors)]
    if not cands or not anchors:
        return None
    best = min(cands, key=lambda s: min(abs(s.root.i - a.i) for a in anchors))
    text = best.text
    return TimeExpr(text, normalize(text, published, lex, future=future))
