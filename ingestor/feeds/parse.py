"""Feed bytes → typed :class:`ParsedFeed` (pure: no I/O, no clock).

feedparser is given the bytes through ``io.BytesIO`` (a ``str`` could make it open a URL or a file)
and the HTTP response headers (charset, Content-Location for relative links). Bozo feeds are parsed
as far as feedparser gets and flagged, never dropped.

Entity expansion: feedparser already drops external and nested entity declarations (billion
laughs), but keeps "safe" flat ones, and expat's amplification guard only trips after feedparser has
fallen back to its loose parser, which then expands every reference: one 100 KB entity referenced
20,000 times costs minutes and gigabytes. :func:`bound_entities` measures the expansion a document's
internal DTD would cause and strips the declarations when it exceeds a bound.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from time import struct_time
from typing import Any

import feedparser
import lxml.html  # type: ignore[import-untyped]
from lxml import etree

#: Total characters that entity references in one document may expand to.
MAX_ENTITY_EXPANSION = 1_000_000

_PROLOG_END = re.compile(rb"<[A-Za-z_]")
_ENTITY_DECL = re.compile(rb"<!ENTITY\s+(%\s+)?([^\s%;&\"'>]+)\s+(SYSTEM|PUBLIC)?\s*(\"[^\"]*\"|'[^']*')[^>]*>")
_ANY_ENTITY_DECL = re.compile(rb"<!ENTITY[^>]*>")
_ENTITY_REF = re.compile(rb"&([A-Za-z_][\w.\-]*);")


@dataclass(frozen=True)
class FeedEntry:
    """One feed item, typed at the edge (no feedparser dict travels further)."""

    entry_id: str | None
    link: str | None
    title: str
    summary_html: str
    content_html: str
    published: str | None  # RFC 3339 UTC
    updated: str | None
    authors: tuple[str, ...]
    tags: tuple[str, ...]

    @property
    def key(self) -> str | None:
        """What identifies the entry inside its feed (guid, else link)."""
        return self.entry_id or self.link

    @property
    def fallback_html(self) -> str:
        """The feed's own text of the entry (full content if given, else the summary)."""
        return self.content_html or self.summary_html


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    link: str | None
    version: str
    encoding: str | None
    bozo: bool
    bozo_reason: str | None
    ttl_s: int | None
    entries: tuple[FeedEntry, ...]
    entities_stripped: bool = False

    @property
    def malformed(self) -> bool:
        """Bozo and nothing usable came out: the whole document is bad input."""
        return self.bozo and not self.entries


def bound_entities(data: bytes, limit: int = MAX_ENTITY_EXPANSION) -> tuple[bytes, bool]:
    """Strip the internal DTD's entity declarations if expanding them would exceed ``limit`` chars.

    Returns the (possibly rewritten) bytes and whether anything was stripped. UTF-16 documents are
    checked after a best-effort decode so the bound cannot be dodged by the encoding.
    """
    m = _PROLOG_END.search(data)
    head_end = m.start() if m else len(data)
    head = data[:head_end]
    if b"<!ENTITY" not in head:
        if b"<\x00!\x00E\x00N\x00T" in data[:65536] or b"\x00<\x00!\x00E\x00N" in data[:65536]:
            return _strip_utf16_dtd(data), True
        return data, False
    values: dict[bytes, bytes] = {}
    for decl in _ENTITY_DECL.finditer(head):
        if decl.group(1) or decl.group(3):  # parameter or external entities: never expanded safely
            values[decl.group(2)] = b"\x00" * (limit + 1)
            continue
        values[decl.group(2)] = decl.group(4)[1:-1]

    sizes: dict[bytes, int] = {}

    def size(name: bytes, depth: int = 0) -> int:
        if name in sizes:
            return sizes[name]
        if depth > 20:
            return limit + 1
        sizes[name] = limit + 1  # cycle guard
        value = values[name]
        total = len(value)
        for ref in _ENTITY_REF.finditer(value):
            if ref.group(1) in values:
                total += size(ref.group(1), depth + 1) - len(ref.group(0))
            if total > limit:
                break
        sizes[name] = min(total, limit + 1)
        return sizes[name]

    refs = Counter(r.group(1) for r in _ENTITY_REF.finditer(data, head_end) if r.group(1) in values)
    total = 0
    for name, count in refs.items():
        total += size(name) * count
        if total > limit:
            return _ANY_ENTITY_DECL.sub(b"", head) + data[head_end:], True
    return data, False


def _strip_utf16_dtd(data: bytes) -> bytes:
    for enc in ("utf-16",):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        return re.sub(r"<!ENTITY[^>]*>", "", text).encode(enc)
    return data


def _time(value: Any) -> str | None:
    if isinstance(value, struct_time):
        try:
            return datetime(*value[:6], tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        except (ValueError, OverflowError):
            return None
    return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _entry(raw: dict[str, Any]) -> FeedEntry:
    content = raw.get("content") or []
    content_html = "\n".join(_text(c.get("value")) for c in content if isinstance(c, Mapping))
    authors: list[str] = []
    for a in raw.get("authors") or []:
        name = _text(a.get("name")) if isinstance(a, Mapping) else ""
        if name and name not in authors:
            authors.append(name)
    if not authors and _text(raw.get("author")):
        authors.append(_text(raw.get("author")))
    tags = tuple(_text(t.get("term")) for t in raw.get("tags") or [] if isinstance(t, Mapping) and _text(t.get("term")))
    link = _text(raw.get("link")) or None
    return FeedEntry(
        entry_id=_text(raw.get("id")) or None,
        link=link,
        title=_text(raw.get("title")),
        summary_html=_text(raw.get("summary")),
        content_html=content_html,
        # dict.get: FeedParserDict's own get maps updated_parsed to published_parsed, with a warning
        published=_time(dict.get(raw, "published_parsed")) or _time(dict.get(raw, "updated_parsed")),
        updated=_time(dict.get(raw, "updated_parsed")),
        authors=tuple(authors),
        tags=tags,
    )


def _ttl(value: Any) -> int | None:
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return minutes * 60 if 0 < minutes <= 7 * 24 * 60 else None


def parse_raw(data: bytes, headers: Mapping[str, str] | None = None) -> Any:
    """feedparser's own result for ``data`` (bytes only), with entity expansion bounded."""
    safe, _stripped = bound_entities(data)
    return feedparser.parse(io.BytesIO(safe), response_headers=dict(headers or {}))


def parse_feed(data: bytes, headers: Mapping[str, str] | None = None) -> ParsedFeed:
    """Parse feed bytes with the HTTP response headers (``content-type``, ``content-location``)."""
    safe, stripped = bound_entities(data)
    result = feedparser.parse(io.BytesIO(safe), response_headers=dict(headers or {}))
    feed = result.get("feed", {})
    exc = result.get("bozo_exception")
    bozo = bool(result.get("bozo")) or stripped
    reason = f"{type(exc).__name__}: {exc}"[:300] if exc is not None else None
    if stripped:
        reason = f"entity expansion over {MAX_ENTITY_EXPANSION} chars; declarations stripped" + (
            f"; {reason}" if reason else ""
        )
    return ParsedFeed(
        title=_text(feed.get("title")),
        link=_text(feed.get("link")) or None,
        version=_text(result.get("version")),
        encoding=_text(result.get("encoding")) or None,
        bozo=bozo,
        bozo_reason=reason,
        ttl_s=_ttl(feed.get("ttl")),
        entries=tuple(_entry(e) for e in result.get("entries", [])),
        entities_stripped=stripped,
    )


_BLOCKS = frozenset({"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "section"})


def html_to_text(html: str) -> str:
    """Plain text of a feed's (already sanitized) HTML snippet, paragraphs kept as blank lines."""
    if not html.strip():
        return ""
    if "<" not in html:
        return re.sub(r"[ \t]+", " ", html).strip()
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return re.sub(r"<[^>]+>", " ", html).strip()
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower() in _BLOCKS:
            el.tail = "\n\n" + (el.tail or "")
    text = root.text_content()
    paras = [re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paras if p)
