"""The feed list: a TOML file of ``[[feeds]]`` tables, and OPML import (what feed readers export).

```toml
[ingest]                 # optional; every key has a default
workers = 8              # feeds polled in parallel
per_host = 2             # requests in flight to one host
include_comments = true  # trafilatura's default; false drops reader comments from the text
publish_every = 5        # a long poll publishes its articles every N new entries

[[feeds]]
name = "bbc-world"       # metric label and state key: letters, digits, '.', '_' and '-'
url = "https://feeds.bbci.co.uk/news/world/rss.xml"
interval = 900           # seconds between polls (optional)
tags = ["world"]         # copied onto every article (optional)
fetch_pages = true       # fetch and extract each entry's page (optional)
```
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from lxml import etree  # type: ignore[import-untyped]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
DEFAULT_INTERVAL_S = 900
MIN_INTERVAL_S = 1


class ConfigError(ValueError):
    """The feeds file cannot be used; the message names the offending feed or key."""


@dataclass(frozen=True)
class FeedConfig:
    name: str
    url: str
    interval_s: int = DEFAULT_INTERVAL_S
    tags: tuple[str, ...] = ()
    fetch_pages: bool = True


@dataclass(frozen=True)
class IngestOptions:
    workers: int = 8
    per_host: int = 2
    include_comments: bool = True
    max_entries_per_poll: int = 200
    publish_every: int = 5  # a long poll publishes (and remembers) its articles every N new entries
    extract_workers: int = 2
    extract_timeout_s: float = 20.0
    request_deadline_s: float = 30.0
    max_body_bytes: int = 8 * 1024 * 1024
    max_decoded_bytes: int = 16 * 1024 * 1024


@dataclass(frozen=True)
class IngestConfig:
    feeds: tuple[FeedConfig, ...]
    options: IngestOptions = field(default_factory=IngestOptions)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(f.name for f in self.feeds)


def _feed(raw: Mapping[str, Any], index: int) -> FeedConfig:
    where = f"[[feeds]] #{index + 1}"
    unknown = set(raw) - {"name", "url", "interval", "tags", "fetch_pages"}
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(f"{where}: name must match {_NAME.pattern} (it is a metric label), got {name!r}")
    url = raw.get("url")
    if not isinstance(url, str) or urlsplit(url).scheme.lower() not in ("http", "https") or not urlsplit(url).hostname:
        raise ConfigError(f"feed {name!r}: url must be an absolute http(s) URL, got {url!r}")
    interval = raw.get("interval", DEFAULT_INTERVAL_S)
    if not isinstance(interval, int | float) or isinstance(interval, bool) or interval < MIN_INTERVAL_S:
        raise ConfigError(f"feed {name!r}: interval must be a number of seconds >= {MIN_INTERVAL_S}")
    tags = raw.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ConfigError(f"feed {name!r}: tags must be a list of strings")
    fetch_pages = raw.get("fetch_pages", True)
    if not isinstance(fetch_pages, bool):
        raise ConfigError(f"feed {name!r}: fetch_pages must be true or false")
    return FeedConfig(name, url.strip(), int(interval), tuple(tags), fetch_pages)


def _options(raw: Mapping[str, Any]) -> IngestOptions:
    defaults = IngestOptions()
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if not hasattr(defaults, key):
            raise ConfigError(f"[ingest]: unknown key {key!r}")
        expected = type(getattr(defaults, key))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(f"[ingest]: {key} must be {expected.__name__}")
        if expected in (int, float) and value <= 0:
            raise ConfigError(f"[ingest]: {key} must be positive")
        values[key] = value
    return IngestOptions(**values)


def parse_config(text: str) -> IngestConfig:
    """Validate a feeds TOML document (names unique, URLs http(s), intervals positive)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}") from exc
    raw_feeds = doc.get("feeds", [])
    if not isinstance(raw_feeds, list):
        raise ConfigError("feeds must be an array of tables: [[feeds]]")
    feeds = tuple(_feed(f, i) for i, f in enumerate(raw_feeds))
    seen: set[str] = set()
    for f in feeds:
        if f.name in seen:
            raise ConfigError(f"feed name {f.name!r} is used twice")
        seen.add(f.name)
    return IngestConfig(feeds, _options(doc.get("ingest", {})))


# ------------------------------------------------------------------------------------------------
# OPML


def _slug(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip().lower()).strip("-._")
    return (s or "feed")[:56]


def opml_feeds(data: bytes, default_interval_s: int = DEFAULT_INTERVAL_S) -> list[FeedConfig]:
    """Every ``<outline xmlUrl=…>`` of an OPML document (nested folders become tags).

    Parsed with entity resolution and network access off: an OPML file is untrusted input too.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ConfigError(f"not valid OPML: {exc}") from exc
    out: list[FeedConfig] = []
    names: set[str] = set()

    def walk(node: Any, folders: tuple[str, ...]) -> None:
        for child in node:
            if not isinstance(child.tag, str) or etree.QName(child).localname != "outline":
                continue
            url = (child.get("xmlUrl") or child.get("xmlurl") or "").strip()
            label = child.get("title") or child.get("text") or ""
            if url:
                if urlsplit(url).scheme.lower() not in ("http", "https"):
                    continue
                base = _slug(label or (urlsplit(url).hostname or "feed"))
                name, n = base, 2
                while name in names:
                    name, n = f"{base}-{n}", n + 1
                names.add(name)
                out.append(FeedConfig(name, url, default_interval_s, tuple(t for t in folders if t)))
            walk(child, (*folders, _slug(label)) if not url and label else folders)

    body = next((c for c in root if isinstance(c.tag, str) and etree.QName(c).localname == "body"), None)
    walk(body if body is not None else root, ())
    return out


def _toml_str(value: str) -> str:
    """A TOML basic string: backslash, quote and every control character (incl. DEL) escaped."""
    out = []
    for ch in value:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def dump_toml(feeds: Iterable[FeedConfig]) -> str:
    """A feeds file for :func:`parse_config` (round-trips)."""
    lines = ["# newswire feeds (newswire ingest --feeds FILE)", ""]
    for f in feeds:
        lines.append("[[feeds]]")
        lines.append(f"name = {_toml_str(f.name)}")
        lines.append(f"url = {_toml_str(f.url)}")
        lines.append(f"interval = {f.interval_s}")
        if f.tags:
            lines.append("tags = [" + ", ".join(_toml_str(t) for t in f.tags) + "]")
        if not f.fetch_pages:
            lines.append("fetch_pages = false")
        lines.append("")
    return "\n".join(lines)
