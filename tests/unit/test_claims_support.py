"""Helpers for the claims unit tests (no tests here): parse a made-up text once, pick claims."""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

from consumers.claims.extract import extract_claims, parse
from consumers.claims.records import Claim
from consumers.nlp.model import load_model

#: A Wednesday.
PUBLISHED = date(2024, 3, 6)


@functools.cache
def claims_of(text: str, published: date | None = PUBLISHED) -> tuple[Claim, ...]:
    doc = parse(load_model(), [text])[0]
    return tuple(extract_claims(doc, outlet="test-outlet", published=published))


def of_kind(text: str, kind: str, published: date | None = PUBLISHED) -> list[Any]:
    out: list[Any] = []
    for c in claims_of(text, published):
        if c.kind == kind:
            out.append(c)
    return out
