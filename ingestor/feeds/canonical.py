"""Canonical article URLs: one spelling per article, so the same story in several feeds gets one id.

Built on courlan (trafilatura's URL cleaner) for scheme/host case, default ports, dot segments and
its tracker list, plus a user-extensible list of click ids courlan's pattern misses (``fbclid`` …).
Fragments are always dropped: they never select a different article.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from courlan.clean import normalize_url, scrub_url

#: Query parameters that only track the reader; matched case-insensitively on the whole name.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ref_src",
        "ref_url",
        "cmpid",
        "ncid",
        "sr_share",
        "share",
        "spm",
        "wt_mc",
        "at_medium",
        "at_campaign",
        "at_custom1",
        "at_custom2",
        "smid",
        "smtyp",
    }
)
#: Parameter name prefixes that only track the reader.
TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "pk_", "mtm_", "itm_", "ga_", "hsa_", "vero_", "oly_")

_MULTI_SLASH = re.compile(r"/{2,}")


class URLError(ValueError):
    """A link that is not an absolute http(s) URL."""


def _is_tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4: ``/a/../b/./c`` → ``/b/c`` (a trailing slash is kept)."""
    out: list[str] = []
    segments = path.split("/")
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if seg == "..":
            if len(out) > 1:
                out.pop()
            if last:
                out.append("")
        elif seg == ".":
            if last:
                out.append("")
        else:
            out.append(seg)
    joined = "/".join(out)
    return joined if joined.startswith("/") else "/" + joined


def canonicalize(url: str) -> str:
    """The canonical form of an http(s) URL; raises :class:`URLError` for anything else."""
    raw = url.strip()
    parts = urlsplit(raw)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise URLError(f"not an absolute http(s) URL: {raw[:200]!r}")
    try:
        normalized = normalize_url(scrub_url(raw), strict=False, trailing_slash=True)
    except (ValueError, AttributeError) as exc:
        raise URLError(f"unparseable URL {raw[:200]!r}: {exc}") from exc
    p = urlsplit(normalized)
    query = urlencode(
        [(k, v) for k, v in parse_qsl(p.query, keep_blank_values=True) if not _is_tracking(k)], doseq=True
    )
    path = _remove_dot_segments(_MULTI_SLASH.sub("/", p.path) or "/")
    netloc = p.netloc.rstrip(".")
    if "@" in netloc:  # credentials never identify an article
        netloc = netloc.rsplit("@", 1)[1]
    return urlunsplit((p.scheme.lower(), netloc.lower(), path, query, ""))


def host_of(url: str) -> str:
    """The lower-case host of a URL (the unit of per-host politeness)."""
    return (urlsplit(url).hostname or "").lower()
