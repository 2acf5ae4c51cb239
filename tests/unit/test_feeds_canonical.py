"""Canonical URLs: one spelling per article."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingestor.feeds.canonical import URLError, canonicalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://Example.COM:80/a/../b/?utm_source=x&id=3&fbclid=9#frag", "http://example.com/b/?id=3"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com:443/x?b=1&a=2", "https://example.com/x?a=2&b=1"),
        ("https://user:pw@Example.com/p", "https://example.com/p"),
        ("https://example.com/a//b/./c", "https://example.com/a/b/c"),
        ("https://example.com/news?utm_campaign=a&utm_medium=b&gclid=1&mc_cid=2", "https://example.com/news"),
        ("https://example.com:8443/x#top", "https://example.com:8443/x"),
    ],
)
def test_canonical_forms(raw: str, expected: str) -> None:
    assert canonicalize(raw) == expected


@pytest.mark.parametrize("raw", ["file:///etc/passwd", "javascript:alert(1)", "/relative/path", "mailto:a@b", ""])
def test_non_http_urls_are_rejected(raw: str) -> None:
    with pytest.raises(URLError):
        canonicalize(raw)


segment = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=8)


@given(
    host=st.lists(segment, min_size=1, max_size=3),
    path=st.lists(segment, max_size=4),
    params=st.dictionaries(st.from_regex(r"p[0-9]{1,3}", fullmatch=True), segment, max_size=3),
    tracking=st.dictionaries(st.sampled_from(["utm_source", "utm_medium", "fbclid", "gclid"]), segment, max_size=2),
    fragment=st.one_of(st.none(), segment),
    upper=st.booleans(),
)
def test_canonicalize_is_idempotent_and_drops_tracking(
    host: list[str],
    path: list[str],
    params: dict[str, str],
    tracking: dict[str, str],
    fragment: str | None,
    upper: bool,
) -> None:
    name = ".".join(host) + ".example"
    query = "&".join(f"{k}={v}" for k, v in {**params, **tracking}.items())
    url = f"https://{name.upper() if upper else name}/{'/'.join(path)}" + (f"?{query}" if query else "")
    url += f"#{fragment}" if fragment else ""
    once = canonicalize(url)
    assert canonicalize(once) == once
    q = urlsplit(once).query
    assert "#" not in once and not any(k in q for k in tracking)
    assert all(f"{k}={v}" in q for k, v in params.items())
    assert once.startswith(f"https://{name.lower()}/")
