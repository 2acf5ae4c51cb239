"""Feed parsing on bytes: typed entries, bozo kept, entity expansion bounded."""

from __future__ import annotations

import time

from ingestor.feeds.parse import MAX_ENTITY_EXPANSION, bound_entities, html_to_text, parse_feed
from tests.integration.ingest_server import FEEDS_DIR, billion_laughs, external_entities, quadratic_blowup


def test_typed_entries_from_a_real_feed() -> None:
    feed = parse_feed((FEEDS_DIR / "docs-examples__rss20.xml").read_bytes())
    assert feed.version == "rss20" and not feed.bozo
    e = feed.entries[0]
    assert e.link and e.title and e.published and e.published.endswith("Z")
    assert e.key == (e.entry_id or e.link)


def test_multiple_authors_and_ttl() -> None:
    feed = parse_feed((FEEDS_DIR / "wellformed__rss_item_multiple_dc_creator.xml").read_bytes())
    assert len(feed.entries[0].authors) >= 2
    ttl = parse_feed(b'<rss version="2.0"><channel><title>t</title><ttl>30</ttl></channel></rss>')
    assert ttl.ttl_s == 1800


def test_bozo_feed_keeps_its_entries() -> None:
    feed = parse_feed((FEEDS_DIR / "illformed__rss_incomplete_cdata.xml").read_bytes())
    assert feed.bozo and feed.bozo_reason
    empty = parse_feed((FEEDS_DIR / "illformed__rss_empty_document.xml").read_bytes())
    assert empty.bozo and empty.malformed


def test_small_safe_entities_are_kept() -> None:
    data = (FEEDS_DIR / "wellformed__rss_entity_in_doctype.xml").read_bytes()
    assert bound_entities(data) == (data, False)


def test_billion_laughs_and_quadratic_blowup_are_bounded() -> None:
    for doc in (billion_laughs(), quadratic_blowup()):
        t = time.monotonic()
        feed = parse_feed(doc)
        assert time.monotonic() - t < 5
        assert len(feed.title) + sum(len(e.title) for e in feed.entries) < 2 * MAX_ENTITY_EXPANSION
    assert bound_entities(quadratic_blowup())[1]


def test_external_entities_stay_unexpanded() -> None:
    feed = parse_feed(external_entities("http://127.0.0.1:9/secret"))
    assert "root:" not in feed.title + "".join(e.title for e in feed.entries)


def test_html_to_text_keeps_paragraphs() -> None:
    assert html_to_text("<p>One <b>bold</b> line.</p><p>Two lines.</p>") == "One bold line.\n\nTwo lines."
    assert html_to_text("plain   text") == "plain text"
    assert html_to_text("") == ""
