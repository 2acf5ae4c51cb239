"""The feeds file and OPML import."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingestor.feeds.config import ConfigError, FeedConfig, dump_toml, opml_feeds, parse_config
from tests.conftest import ROOT

OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>subs</title></head><body>
  <outline text="World">
    <outline type="rss" text="BBC World" title="BBC World" xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml"/>
    <outline type="rss" text="BBC World" xmlUrl="https://example.com/other.xml"/>
  </outline>
  <outline type="rss" text="Kyiv Independent" xmlUrl="https://kyivindependent.com/feed/"/>
  <outline type="rss" text="not http" xmlUrl="file:///etc/passwd"/>
</body></opml>"""


def test_example_feeds_file_is_valid() -> None:
    config = parse_config((ROOT / "deploy" / "feeds.example.toml").read_text(encoding="utf-8"))
    assert config.feeds and all(f.url.startswith("https://") for f in config.feeds)


def test_minimal_file_and_defaults() -> None:
    c = parse_config('[[feeds]]\nname = "a"\nurl = "https://example.com/rss"\n')
    assert c.feeds == (FeedConfig("a", "https://example.com/rss"),)
    assert c.options.workers > 0


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[[feeds]]\nname = "a b"\nurl = "https://x/"\n', "name must match"),
        ('[[feeds]]\nname = "a"\nurl = "file:///etc/passwd"\n', "absolute http(s)"),
        ('[[feeds]]\nname = "a"\nurl = "https://x/"\ninterval = 0\n', "interval"),
        ('[[feeds]]\nname = "a"\nurl = "https://x/"\n[[feeds]]\nname = "a"\nurl = "https://y/"\n', "used twice"),
        ('[[feeds]]\nname = "a"\nurl = "https://x/"\ncolour = "red"\n', "unknown keys"),
        ('[ingest]\nworkers = "many"\n', "workers must be int"),
        ("[[feeds]\n", "not valid TOML"),
    ],
)
def test_bad_files_name_the_problem(text: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        parse_config(text)


def test_opml_import_folders_become_tags_and_names_are_unique() -> None:
    feeds = opml_feeds(OPML, default_interval_s=600)
    assert [f.name for f in feeds] == ["bbc-world", "bbc-world-2", "kyiv-independent"]
    assert feeds[0].tags == ("world",) and feeds[2].tags == ()
    assert all(f.interval_s == 600 for f in feeds)
    assert parse_config(dump_toml(feeds)).feeds == tuple(feeds)


def test_opml_entities_are_not_resolved() -> None:
    doc = b"""<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<opml><body><outline text="&x;" xmlUrl="https://example.com/f"/></body></opml>"""
    with pytest.raises(ConfigError, match="external entity"):
        opml_feeds(doc)


name = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,20}", fullmatch=True)


@given(
    st.lists(
        st.tuples(name, st.integers(1, 86_400), st.lists(st.text(max_size=10), max_size=3), st.booleans()),
        max_size=5,
        unique_by=lambda t: t[0],
    )
)
def test_dump_and_parse_round_trip(rows: list[tuple[str, int, list[str], bool]]) -> None:
    feeds = [FeedConfig(n, f"https://example.com/{n}", i, tuple(t), fp) for n, i, t, fp in rows]
    assert parse_config(dump_toml(feeds)).feeds == tuple(feeds)
