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

from consumers.projector.rows import Section

#: Ids are filed in steps of this many seconds of event time.
STEP_S = 3600.0


class SeenEvents:
    """A set of event ids that forgets the ids of events older than a cutoff."""

    __slots__ = ("_by_step", "_ids", "forgotten", "forgotten_to")

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._by_step: dict[int, list[str]] = {}  # step of event time → ids (undated: in no step)
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
        if epoch is not None:
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
        steps = self.steps_section()
        return {**self.head(), "steps": {k: steps.encode(v) for k, v in steps.values.items()}}

    def head(self) -> dict[str, Any]:
        """All but the ids filed by step (small: ids without a time come only from old checkpoints)."""
        dated = sum(len(ids) for ids in self._by_step.values())
        undated = (
            sorted(self._ids - {i for ids in self._by_step.values() for i in ids}) if dated < len(self._ids) else []
        )
        return {"undated": undated, "forgotten": self.forgotten, "forgotten_to": self.forgotten_to}

    def steps_section(self) -> Section:
        """The ids by step, for a checkpoint that writes what changed: a step's list only grows
        (by its length) until the step is dropped whole."""
        return Section({str(step): ids for step, ids in sorted(self._by_step.items())}, sorted, len)

    @classmethod
    def restore(cls, raw: Mapping[str, Any] | list[str]) -> SeenEvents:
        """From :meth:`export`; a checkpoint of before (a plain list) gives undated ids."""
        seen = cls()
        if isinstance(raw, list):
            seen._ids = {str(i) for i in raw}
            return seen
        seen._ids = {str(i) for i in raw.get("undated", ())}
        for step, ids in raw.get("steps", {}).items():
            seen._by_step[int(step)] = [str(i) for i in ids]
            seen._ids.update(seen._by_step[int(step)])
        seen.forgotten = int(raw.get("forgotten", 0))
        to = raw.get("forgotten_to")
        seen.forgotten_to = None if to is None else float(to)
        return seen
