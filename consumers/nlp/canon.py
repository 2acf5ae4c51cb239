"""Entity canonicalization: surface forms → one stable entity id per real-world entity.

INTERFACE CONTRACT (used by consumers/entities and consumers/claims; keep the signatures):

    resolve_entities(doc) -> ArticleEntities
    ArticleEntities.entities: tuple[Entity, ...]
    ArticleEntities.at(start, end) -> Entity | None     # entity whose mention overlaps the span
    ArticleEntities.find(text) -> Entity | None         # entity a surface text refers to

This first version is a naive placeholder (spaCy ents → slug); the entities work replaces the
implementation behind the same interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from newswire.ids import slug

KEPT_LABELS = {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC"}


@dataclass(frozen=True)
class Mention:
    text: str
    start: int
    end: int
    sentence_index: int
    sentence_start: int
    sentence_end: int


@dataclass(frozen=True)
class Entity:
    id: str
    name: str
    type: str
    mentions: tuple[Mention, ...]
    salience: float


@dataclass(frozen=True)
class ArticleEntities:
    entities: tuple[Entity, ...]

    def at(self, start: int, end: int) -> Entity | None:
        for e in self.entities:
            for m in e.mentions:
                if m.start < end and start < m.end:
                    return e
        return None

    def find(self, text: str) -> Entity | None:
        key = slug(text)
        for e in self.entities:
            if e.id == key or any(slug(m.text) == key for m in e.mentions):
                return e
        return None


def resolve_entities(doc: Any) -> ArticleEntities:
    sents = list(doc.sents)
    sent_index = {s.start: i for i, s in enumerate(sents)}
    groups: dict[str, list[tuple[Any, Mention]]] = {}
    for ent in doc.ents:
        if ent.label_ not in KEPT_LABELS:
            continue
        sent = ent.sent
        m = Mention(ent.text, ent.start_char, ent.end_char, sent_index.get(sent.start, 0), sent.start_char, sent.end_char)
        groups.setdefault(slug(ent.text), []).append((ent, m))
    total = sum(len(v) for v in groups.values()) or 1
    out = [
        Entity(key, v[0][0].text, v[0][0].label_, tuple(m for _e, m in v), len(v) / total)
        for key, v in groups.items()
    ]
    return ArticleEntities(tuple(out))
