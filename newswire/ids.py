"""Deterministic identifiers: the same input always yields the same id (DESIGN.md, Events).

Replaying the same articles twice therefore yields the same event ids, and every consumer can
drop duplicates by id.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_WS = re.compile(r"\s+")
_SLUG_DROP = re.compile(r"[^a-z0-9]+")


def _digest(*parts: str, size: int = 16) -> str:
    """BLAKE2b of the parts, each followed by the unit separator (so ("ab","c") and ("a","bc")
    differ), hashed in one call: the projector names every item it builds this way."""
    if not parts:
        return hashlib.blake2b(digest_size=size).hexdigest()
    return hashlib.blake2b(("\x1f".join(parts) + "\x1f").encode("utf-8"), digest_size=size).hexdigest()


def normalize_text(text: str) -> str:
    """Text as compared for identity: NFC, whitespace folded, stripped."""
    return _WS.sub(" ", unicodedata.normalize("NFC", text)).strip()


def content_hash(text: str) -> str:
    """Hash of the normalized text; a changed text is a new revision of the same article."""
    return _digest("text", normalize_text(text), size=12)


def article_id_for_url(canonical_url: str) -> str:
    """An article's id from its canonical URL."""
    return "art-" + _digest("url", canonical_url, size=10)


def article_id_for_text(text: str) -> str:
    """An article's id when it has no URL: a hash of its normalized text."""
    return "art-" + _digest("text", normalize_text(text), size=10)


def article_id_in_loop(article_id: str, loop: int) -> str:
    """The id of an article replayed in soak loop ``loop`` > 0: a new id space per loop."""
    return "art-" + _digest("loop", article_id, str(loop), size=10)


def article_event_id(article_id: str, revision: str) -> str:
    """The id of an ``article.ingested`` event: one per article revision."""
    return "evt-" + _digest("newswire.article.ingested", article_id, revision)


def derived_event_id(event_type: str, input_event_id: str, extractor: str) -> str:
    """The id of an event derived from another: (type, input event id, extractor version)."""
    return "evt-" + _digest(event_type, input_event_id, extractor)


def slug(name: str) -> str:
    """Lower-case ASCII slug used as a canonical entity id (``Volodymyr Zelensky`` → ``volodymyr-zelensky``)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return _SLUG_DROP.sub("-", ascii_name.lower()).strip("-") or "x-" + _digest("slug", name, size=4)


def stable_id(prefix: str, *parts: str) -> str:
    """A short deterministic id for any other record (claims, view items, stories)."""
    return prefix + "-" + _digest(*parts, size=8)
