"""Typed, frozen claim records and their JSON shape (``newswire.claims.extracted`` v1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from newswire import ids


@dataclass(frozen=True)
class Evidence:
    start: int
    end: int
    sentence_start: int
    sentence_end: int
    sentence: str

    def to_data(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "sentence_start": self.sentence_start,
            "sentence_end": self.sentence_end,
            "sentence": self.sentence,
        }


@dataclass(frozen=True)
class AssertedBy:
    """Who asserts a claim: the outlet itself, or an attributed source."""

    kind: str  # outlet | source
    text: str
    entity: str | None = None

    def to_data(self) -> dict[str, Any]:
        return {"kind": self.kind, "entity": self.entity, "text": self.text}


@dataclass(frozen=True)
class Quote:
    speaker_text: str
    speaker_entity: str | None
    cue: str
    text: str
    direct: bool

    def to_data(self) -> dict[str, Any]:
        return {
            "speaker": {"entity": self.speaker_entity, "text": self.speaker_text},
            "cue": self.cue,
            "text": self.text,
            "direct": self.direct,
        }


@dataclass(frozen=True)
class Count:
    category: str
    value: float
    lower_bound: bool
    text: str
    actor: str | None = None
    place: str | None = None
    time: str | None = None

    def to_data(self) -> dict[str, Any]:
        value: int | float = int(self.value) if float(self.value).is_integer() else self.value
        return {
            "category": self.category,
            "value": value,
            "lower_bound": self.lower_bound,
            "actor": self.actor,
            "place": self.place,
            "time": self.time,
            "text": self.text,
        }


@dataclass(frozen=True)
class TimeExpr:
    text: str
    date: str | None

    def to_data(self) -> dict[str, Any]:
        return {"text": self.text, "date": self.date}


@dataclass(frozen=True)
class Event:
    kind: str
    participants: tuple[str, ...]
    status: str
    place: str | None = None
    time: TimeExpr | None = None
    object: str | None = None
    negated: bool = False

    def to_data(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "participants": list(self.participants),
            "place": self.place,
            "time": self.time.to_data() if self.time is not None else None,
            "status": self.status,
            "object": self.object,
            "negated": self.negated,
        }


@dataclass(frozen=True)
class Claim:
    """One claim; exactly one of ``quote``, ``count``, ``event`` is set (matching ``kind``)."""

    kind: str
    asserted_by: AssertedBy
    confidence: float
    evidence: Evidence
    quote: Quote | None = None
    count: Count | None = None
    event: Event | None = None
    hedged: bool = False

    def claim_id(self, article_id: str, revision: str) -> str:
        """Deterministic: the same article revision and span always give the same id."""
        detail = ""
        if self.count is not None:
            detail = self.count.category
        elif self.event is not None:
            detail = self.event.kind
        elif self.quote is not None:
            detail = "direct" if self.quote.direct else "indirect"
        return ids.stable_id(
            "clm", article_id, revision, self.kind, str(self.evidence.start), str(self.evidence.end), detail
        )

    def to_data(self, article_id: str, revision: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.claim_id(article_id, revision),
            "kind": self.kind,
            "asserted_by": self.asserted_by.to_data(),
            "confidence": round(self.confidence, 3),
            "evidence": self.evidence.to_data(),
        }
        if self.hedged:
            out["hedged"] = True
        if self.quote is not None:
            out["quote"] = self.quote.to_data()
        if self.count is not None:
            out["count"] = self.count.to_data()
        if self.event is not None:
            out["event"] = self.event.to_data()
        return out
