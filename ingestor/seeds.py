"""Article text files → article records (pure: no Kafka, no clock, no environment).

A text file holds one article: an optional title line, an optional standfirst, then paragraphs.
Page debris ("Advertisement", "Leave a Reply" and everything after it, …) is dropped by the
rules of ``data/debris.toml``. Metadata a text file cannot carry (outlet, URL, publication time)
comes from an optional ``manifest.json`` beside the files.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from newswire import ids
from newswire.records import ArticleIngested, Extraction, Origin


@dataclass(frozen=True)
class Debris:
    drop_lines: frozenset[str]
    drop_patterns: tuple[re.Pattern[str], ...]
    cut_after: frozenset[str]

    @classmethod
    def load(cls, text: str | None = None) -> Debris:
        if text is None:
            text = resources.files("ingestor").joinpath("data/debris.toml").read_text(encoding="utf-8")
        raw = tomllib.loads(text)
        return cls(
            frozenset(s.lower() for s in raw.get("drop_lines", [])),
            tuple(re.compile(p, re.IGNORECASE) for p in raw.get("drop_patterns", [])),
            frozenset(s.lower() for s in raw.get("cut_after", [])),
        )

    def is_debris(self, line: str) -> bool:
        low = line.strip().lower()
        return low in self.drop_lines or any(p.search(low) for p in self.drop_patterns)

    def ends_article(self, line: str) -> bool:
        return line.strip().lower() in self.cut_after


@dataclass(frozen=True)
class Rejection:
    """A file that is not an article, with the reason (errors as data)."""

    name: str
    reason: str  # empty | binary | undecodable | too_large | no_text
    message: str


@dataclass(frozen=True)
class SeedMeta:
    """Per-file metadata from ``manifest.json``; every field optional."""

    title: str | None = None
    outlet: str | None = None
    url: str | None = None
    published: str | None = None
    language: str | None = None

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> SeedMeta:
        return cls(
            title=raw.get("title"),
            outlet=raw.get("outlet"),
            url=raw.get("url"),
            published=raw.get("published"),
            language=raw.get("language"),
        )


_SENTENCE_END = re.compile(r"[.!?…:;]['\"”’)]*$")


def decode_text(name: str, raw: bytes, max_bytes: int) -> str | Rejection:
    """Bytes → text, or why the file is not an article text."""
    if len(raw) > max_bytes:
        return Rejection(name, "too_large", f"{len(raw)} bytes exceeds the {max_bytes}-byte limit")
    if not raw.strip():
        return Rejection(name, "empty", "file is empty")
    if b"\x00" in raw[:8192]:
        return Rejection(name, "binary", "file contains NUL bytes: binary, not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Rejection(name, "undecodable", f"not valid UTF-8 at byte {exc.start}: {exc.reason}")
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > 0.05 * min(len(text), 8192):
        return Rejection(name, "binary", f"{controls} control characters: binary, not text")
    return text


def _looks_like_title(line: str) -> bool:
    words = line.split()
    return 3 <= len(words) <= 25 and not _SENTENCE_END.search(line)


def split_title(lines: list[str]) -> tuple[str | None, list[str]]:
    """Find a headline among the leading short lines; return it and the remaining lines."""
    for i, line in enumerate(lines[:4]):
        if len(line.split()) > 40:
            break  # a paragraph: the article starts without a title
        if _looks_like_title(line):
            return line, lines[:i] + lines[i + 1 :]
    return None, lines


def clean_lines(text: str, debris: Debris) -> list[str]:
    out: list[str] = []
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line:
            continue
        if debris.ends_article(line):
            break
        if debris.is_debris(line):
            continue
        out.append(line)
    # leading single-word section labels ("Politics") are chrome, not text
    while out and len(out[0].split()) == 1 and len(out) > 1:
        out.pop(0)
    return out


def fallback_title(body: str, max_words: int = 12) -> str:
    # a sentence ends at a period after a lower-case word, so "U.S." does not end one
    first = re.split(r"(?<=[a-z0-9][.!?])\s", body, maxsplit=1)[0]
    words = first.split()
    return " ".join(words[:max_words]) + ("…" if len(words) > max_words else "")


def parse_article_text(
    name: str,
    text: str,
    meta: SeedMeta,
    debris: Debris,
    loop: int = 0,
) -> ArticleIngested | Rejection:
    """Text of one file → an :class:`ArticleIngested` record (pure).

    ``loop`` > 0 puts the article in a new id space (soak runs): the id is derived from the
    loop-0 id and the loop number, so loop *k* of a file is a different article from loop *k+1*.
    """
    lines = clean_lines(text, debris)
    title, body_lines = split_title(lines)
    body = "\n\n".join(body_lines).strip()
    if not body:
        return Rejection(name, "no_text", "no article text left after removing page debris")
    title = meta.title or title or fallback_title(body)
    article_id = ids.article_id_for_url(meta.url) if meta.url else ids.article_id_for_text(body)
    if loop:
        article_id = ids.article_id_in_loop(article_id, loop)
    return ArticleIngested(
        article_id=article_id,
        revision=ids.content_hash(body),
        url=meta.url,
        title=title,
        outlet=meta.outlet or name.rsplit(".", 1)[0],
        published=meta.published,
        body=body,
        origin=Origin(kind="seed", path=name, loop=loop),
        extraction=Extraction(outcome="text"),
        language=meta.language,
    )
