"""What a checkpoint must write: the rows of the view's state that changed since the last one (pure).

A checkpoint used to serialize the whole view, so its cost grew with the view: ~1.5 s at 20k claims
events, every few seconds while news trickles in, under the lock the HTTP thread waits on. The
view's source state is a few keyed sections (article records, entity and claim records per
article, story signatures, event ids by time step) whose values are replaced, never edited, when
they change. :class:`SavedRows` remembers what it last wrote of each key (the value itself, or a
``token`` such as a length for a list that only grows) and gives the upserts and deletes that
bring the saved rows up to date: a checkpoint costs what changed, plus one pass of identity checks.

The snapshot a checkpoint stands for is ``head`` with each section's rows nested at its dotted
path (:func:`nest`): the store assembles it on load, and :meth:`TalksView.to_snapshot` the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Section:
    """One keyed part of the state: key → value, how a value is written, and what shows a change."""

    values: Mapping[str, Any]
    encode: Callable[[Any], Any]  # value → its JSON row
    token: Callable[[Any], Any] = _same  # the value itself (immutable values), or e.g. len for a list that only grows


@dataclass(frozen=True)
class Parts:
    """A view's state for a checkpoint: small fields (``head``, written whole each time) and sections."""

    head: Mapping[str, Any]
    sections: Mapping[str, Section]

    def snapshot(self) -> dict[str, Any]:
        """The whole state as one JSON-able object (what a full checkpoint holds)."""
        rows = {name: {key: sec.encode(v) for key, v in sec.values.items()} for name, sec in self.sections.items()}
        return nest(self.head, rows)


@dataclass(frozen=True)
class RowDelta:
    """What brings the saved rows up to the state: rows to write, rows to delete, and the tokens
    the saved rows will have once this is written."""

    upserts: list[tuple[str, str, Any]]  # (section, key, JSON row)
    deletes: list[tuple[str, str]]
    full: bool  # every row is written: drop all saved rows first
    tokens: dict[str, dict[str, Any]] = field(repr=False)


class SavedRows:
    """What the store holds, as tokens; :meth:`delta` compares the state against it, and
    :meth:`written` records a delta once its transaction committed (a failed one changes nothing,
    so the next delta still carries its rows)."""

    __slots__ = ("_tokens",)

    def __init__(self) -> None:
        self._tokens: dict[str, dict[str, Any]] | None = None  # None: unknown, the next delta is full

    def forget(self) -> None:
        """The saved rows are unknown (a fresh store, a store cleared or loaded): write all next time."""
        self._tokens = None

    def delta(self, sections: Mapping[str, Section]) -> RowDelta:
        full = self._tokens is None
        saved = self._tokens or {}
        upserts: list[tuple[str, str, Any]] = []
        deletes: list[tuple[str, str]] = []
        tokens: dict[str, dict[str, Any]] = {}
        missing = object()
        for name, sec in sections.items():
            last = saved.get(name, {})
            now: dict[str, Any] = {}
            for key, value in sec.values.items():
                tok = sec.token(value)
                now[key] = tok
                old = last.get(key, missing)
                if old is missing or (old is not tok and old != tok):
                    upserts.append((name, key, sec.encode(value)))
            deletes.extend((name, key) for key in last.keys() - now.keys())
            tokens[name] = now
        for name in saved.keys() - sections.keys():
            deletes.extend((name, key) for key in saved[name])
        return RowDelta(upserts, deletes, full, tokens)

    def written(self, delta: RowDelta) -> None:
        self._tokens = delta.tokens


def nest(head: Mapping[str, Any], rows: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """``head`` with each section's rows (key → row) placed at its dotted name: section
    ``"stories.text"`` becomes ``out["stories"]["text"]``."""
    out: dict[str, Any] = dict(head)
    for name, keyed in rows.items():
        *parents, leaf = name.split(".")
        at = out
        for p in parents:
            at[p] = dict(at.get(p) or {})  # a copy: the caller's head is left as it was
            at = at[p]
        at[leaf] = dict(keyed)
    return out
