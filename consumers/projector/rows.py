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

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

V = TypeVar("V")


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


class TrackedDict(dict[str, V]):
    """A dict that notes the keys set or deleted since its owner last took them: a section kept
    in one is diffed by those keys alone, so a checkpoint costs what changed, not a pass over
    the view. Reads are a plain dict's."""

    __slots__ = ("touched",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.touched: set[str] = set(self)

    def __setitem__(self, key: str, value: V) -> None:
        self.touched.add(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.touched.add(key)
        super().__delitem__(key)

    def pop(self, key: str, *default: Any) -> Any:
        self.touched.add(key)
        return super().pop(key, *default)

    def popitem(self) -> tuple[str, V]:
        key, value = super().popitem()
        self.touched.add(key)
        return key, value

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.touched.add(key)
        return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def __ior__(self, other: Any) -> TrackedDict[V]:  # type: ignore[override,misc]
        self.update(other)
        return self

    def clear(self) -> None:
        self.touched.update(self)
        super().clear()


@dataclass
class _Saved:
    """What the store holds of one section: its keys with their tokens, and the tracked dict
    whose ``touched`` keys are what changed since (None: diffed key by key)."""

    tokens: dict[str, Any]
    source: TrackedDict[Any] | None


@dataclass(frozen=True)
class RowDelta:
    """What brings the saved rows up to the state: rows to write, rows to delete, and what the
    store will hold of each section once this is written."""

    upserts: list[tuple[str, str, Any]]  # (section, key, JSON row)
    deletes: list[tuple[str, str]]
    full: bool  # every row is written: drop all saved rows first
    after: dict[str, _Saved] = field(repr=False)
    taken: list[tuple[TrackedDict[Any], set[str]]] = field(repr=False)  # touched keys this delta carries


class SavedRows:
    """What the store holds; :meth:`delta` compares the state against it, and :meth:`written`
    records a delta once its transaction committed (a failed one changes nothing, so the next
    delta still carries its rows)."""

    __slots__ = ("_saved",)

    def __init__(self) -> None:
        self._saved: dict[str, _Saved] | None = None  # None: unknown, the next delta is full

    def forget(self) -> None:
        """The saved rows are unknown (a fresh store, a store cleared or loaded): write all next time."""
        self._saved = None

    def assume(self, sections: Mapping[str, Section], held: Mapping[str, Iterable[str]] | None = None) -> None:
        """The store holds these sections (a view just restored from it): record them as
        written, without encoding a row, so the next delta carries only what changes from here.
        ``held``: the keys the store holds of each section; those the sections lack (a row the
        view did not take back) are deleted by the next delta."""
        self._saved = None
        delta = self.delta(sections, rows=False)
        self.written(delta)
        saved = delta.after
        for name, keys in (held or {}).items():
            sec, known = sections.get(name), saved.get(name)
            if sec is None or known is None:
                continue
            for key in keys:
                if key not in sec.values:
                    known.tokens[key] = None  # (held, so the next delta deletes it)
                    if known.source is not None:
                        known.source.touched.add(key)

    def delta(self, sections: Mapping[str, Section], rows: bool = True) -> RowDelta:
        """What brings the saved rows up to ``sections`` (``rows=False``: the keys only, no row
        encoded, for :meth:`assume`)."""
        full = self._saved is None
        saved = self._saved or {}
        upserts: list[tuple[str, str, Any]] = []
        deletes: list[tuple[str, str]] = []
        after: dict[str, _Saved] = {}
        taken: list[tuple[TrackedDict[Any], set[str]]] = []
        for name, sec in sections.items():
            values = sec.values
            old = saved.get(name)
            if old is not None and old.source is values and isinstance(values, TrackedDict):
                keys = set(values.touched)  # the same dict as last time: only its touched keys
                taken.append((values, keys))
                for k in keys:
                    if k in values:
                        upserts.append((name, k, sec.encode(values[k])))
                    elif k in old.tokens:
                        deletes.append((name, k))
                after[name] = old  # its tokens are brought up to date by written()
                continue
            last = old.tokens if old is not None else {}
            if sec.token is _same:  # comprehensions: this is a pass over a large view
                now = dict(values)
                changed = [k for k, v in values.items() if last.get(k) is not v]
                changed = [k for k in changed if k not in last or last[k] != values[k]]
            else:
                now = {k: sec.token(v) for k, v in values.items()}
                changed = [k for k, t in now.items() if k not in last or last[k] != t]
            if rows:
                upserts.extend((name, k, sec.encode(values[k])) for k in changed)
            deletes.extend((name, k) for k in last.keys() - now.keys())
            tracked = values if isinstance(values, TrackedDict) else None
            if tracked is not None:
                taken.append((tracked, set(tracked.touched)))
            after[name] = _Saved(now, tracked)
        for name in saved.keys() - sections.keys():
            deletes.extend((name, key) for key in saved[name].tokens)
        return RowDelta(upserts, deletes, full, after, taken)

    def written(self, delta: RowDelta) -> None:
        self._saved = delta.after
        for tracked, keys in delta.taken:
            tracked.touched -= keys
            saved = next((s for s in delta.after.values() if s.source is tracked), None)
            if saved is not None:  # (a section diffed by its touched keys: its keys as of now)
                for k in keys:
                    if k in tracked:
                        saved.tokens[k] = tracked[k]
                    else:
                        saved.tokens.pop(k, None)


#: Items per row of a :func:`chunked` section.
CHUNK = 256


def chunked(lists: Mapping[str, list[Any]], size: int = CHUNK) -> Section:
    """Lists that only ever grow at their end, as rows of ``size`` items (keys ``name/index``):
    appending rewrites the last row of a list, not the whole list. :func:`unchunk` reverses it."""
    values: dict[str, tuple[list[Any], int, int]] = {}
    for name, items in lists.items():
        for lo in range(0, len(items), size):
            values[f"{name}/{lo // size}"] = (items, lo, min(lo + size, len(items)))
    return Section(values, _chunk_row, _chunk_len)


def _chunk_row(chunk: tuple[list[Any], int, int]) -> list[Any]:
    items, lo, hi = chunk
    return items[lo:hi]


def _chunk_len(chunk: tuple[list[Any], int, int]) -> int:
    return chunk[2] - chunk[1]


def unchunk(rows: Mapping[str, Sequence[Any]]) -> dict[str, list[Any]]:
    """The lists a :func:`chunked` section's rows came from."""
    out: dict[str, list[Any]] = {}
    for name, _index, key in sorted((k.rpartition("/")[0], int(k.rpartition("/")[2]), k) for k in rows):
        out.setdefault(name, []).extend(rows[key])
    return out


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
