"""The ids of the events a view took in, forgotten with the window (pure).

The view drops an event it already took (redeliveries, a replay of the same input), so it keeps
their ids. Kept for ever, those ids were the one part of the view that the window did not bound:
about 0.1 KB per event in memory and in every checkpoint, so a daemon that ran for months carried
millions of them. :class:`SeenEvents` files each id by its event time (in ``STEP_S`` steps) and
drops the ids older than a cutoff when the view's story index forgets (the furthest back anything
of the view reaches). An event older than that cutoff arrives too late to change the view or its
stories — a new one or a redelivery, which can no longer be told apart — and the view ignores it
and counts it as late (see :meth:`too_old`). An event without a readable time is never forgotten.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from consumers.projector.rows import Section, chunked, unchunk

#: Ids are filed in steps of this many seconds of event time.
STEP_S = 3600.0


class SeenEvents:
    """A set of event ids that forgets the ids of events older than a cutoff."""

    __slots__ = ("_by_step", "_ids", "_undated", "forgotten", "forgotten_to")

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._by_step: dict[int, list[str]] = {}  # step of event time → ids, in arrival order
        self._undated: list[str] = []  # ids of events without a time (a view without a window)
        self.forgotten = 0  # ids dropped so far
        self.forgotten_to: float | None = None  # ids of events older than this were dropped

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def add(self, event_id: str, epoch: float | None) -> None:
        if event_id in self._ids:
            return
        self._ids.add(event_id)
        if epoch is None:
            self._undated.append(event_id)
        else:
            self._by_step.setdefault(math.floor(epoch / STEP_S), []).append(event_id)

    def too_old(self, epoch: float | None) -> bool:
        """Whether an event is older than the ids already dropped (whether it was taken in before
        cannot be told any more)."""
        return epoch is not None and self.forgotten_to is not None and epoch < self.forgotten_to

    def forget_before(self, cutoff: float) -> int:
        """Drop the ids of events older than ``cutoff`` (only whole steps: an id may stay a step
        longer); how many went."""
        if self.forgotten_to is not None and cutoff <= self.forgotten_to:
            return 0
        self.forgotten_to = cutoff
        last = math.floor(cutoff / STEP_S)  # steps before this one are wholly older than cutoff
        gone = 0
        for step in [s for s in self._by_step if s < last]:
            ids = self._by_step.pop(step)
            self._ids.difference_update(ids)
            gone += len(ids)
        self.forgotten += gone
        return gone

    def export(self) -> dict[str, Any]:
        ids = self.ids_section()
        return {**self.head(), "ids": {k: ids.encode(v) for k, v in ids.values.items()}}

    def head(self) -> dict[str, Any]:
        """All but the ids."""
        return {"forgotten": self.forgotten, "forgotten_to": self.forgotten_to}

    def ids_section(self) -> Section:
        """The ids as rows for a checkpoint that writes what changed: each step's list (and the
        undated ones) only grows at its end until the step is dropped whole, so rows of a fixed
        number of ids (:func:`chunked`) change only at the end of a list."""
        return chunked({"undated": self._undated, **{str(s): ids for s, ids in sorted(self._by_step.items())}})

    @classmethod
    def restore(cls, raw: Mapping[str, Any] | list[str]) -> SeenEvents:
        """From :meth:`export`. Older checkpoints: ``undated`` and ``steps`` lists, or (before the
        window forgot ids) a plain list of undated ids."""
        seen = cls()
        if isinstance(raw, list):
            raw = {"undated": raw}
        lists = unchunk(raw.get("ids", {}))
        lists.setdefault("undated", []).extend(raw.get("undated", ()))
        for step, ids in raw.get("steps", {}).items():
            lists.setdefault(str(step), []).extend(ids)
        for name, ids in lists.items():
            kept = [str(i) for i in ids]
            if name == "undated":
                seen._undated = kept
            else:
                seen._by_step[int(name)] = kept
            seen._ids.update(kept)
        seen.forgotten = int(raw.get("forgotten", 0))
        to = raw.get("forgotten_to")
        seen.forgotten_to = None if to is None else float(to)
        return seen
