"""Seed/text-file parsing: titles, debris, rejections (pure, no broker)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ingestor.seeds import Debris, Rejection, SeedMeta, decode_text, parse_article_text
from newswire.records import ArticleIngested

DEBRIS = Debris.load()

PAGE = """
Politics

Mayors Agree on a Shared Plan for River Crossings

Published

on

The mayors of two towns said on Tuesday they would build a bridge together.

Advertisement

Work is to start next spring, a council spokesperson said.

Leave a Reply

Your email address will not be published. Required fields are marked *

Great article! Visit my site.
"""


def parse(text: str, meta: SeedMeta | None = None, loop: int = 0) -> ArticleIngested:
    out = parse_article_text("page.txt", text, meta or SeedMeta(), DEBRIS, loop=loop)
    assert isinstance(out, ArticleIngested), out
    return out


def test_title_body_and_debris() -> None:
    a = parse(PAGE)
    assert a.title == "Mayors Agree on a Shared Plan for River Crossings"
    assert a.body.startswith("The mayors of two towns")
    assert "Advertisement" not in a.body
    assert "Published" not in a.body and "\n\non\n\n" not in a.body
    assert "Leave a Reply" not in a.body and "Great article" not in a.body
    assert "Politics" not in a.body
    assert a.outlet == "page"


def test_manifest_metadata_wins() -> None:
    meta = SeedMeta(title="T", outlet="The Daily", url="https://daily.example/a", published="2025-05-18T12:00:00Z")
    a = parse(PAGE, meta)
    assert (a.title, a.outlet, a.url, a.published) == ("T", "The Daily", "https://daily.example/a", meta.published)


def test_paragraph_first_article_gets_a_title_from_its_first_sentence() -> None:
    a = parse("The U.S. envoy met officials in Geneva on Monday. Talks went on for hours.\nMore text here.")
    assert a.title == "The U.S. envoy met officials in Geneva on Monday."


def test_loops_are_new_id_spaces() -> None:
    assert parse(PAGE).article_id != parse(PAGE, loop=1).article_id
    assert parse(PAGE, loop=1).article_id == parse(PAGE, loop=1).article_id
    assert parse(PAGE).revision == parse(PAGE, loop=1).revision


def test_rejections() -> None:
    assert isinstance(decode_text("e.txt", b"  \n", 1000), Rejection)
    assert decode_text("b.txt", b"\x00\x01binary", 1000).reason == "binary"  # type: ignore[union-attr]
    assert decode_text("l.txt", "caf\xe9".encode("latin-1"), 1000).reason == "undecodable"  # type: ignore[union-attr]
    assert decode_text("big.txt", b"x" * 2000, 1000).reason == "too_large"  # type: ignore[union-attr]
    assert decode_text("bom.txt", "\ufeffHello there".encode(), 1000) == "Hello there"
    only_debris = parse_article_text("d.txt", "Advertisement\nLeave a Reply\nHi", SeedMeta(), DEBRIS)
    assert isinstance(only_debris, Rejection) and only_debris.reason == "no_text"


@given(st.text(max_size=400))
def test_any_text_parses_or_is_rejected_with_a_reason(text: str) -> None:
    out = parse_article_text("f.txt", text, SeedMeta(), DEBRIS)
    if isinstance(out, Rejection):
        assert out.reason and out.message
    else:
        assert out.body.strip() and out.body in out.body
        assert not any(DEBRIS.is_debris(line) for line in out.body.split("\n\n"))


@given(st.binary(max_size=300))
def test_any_bytes_decode_or_are_rejected(raw: bytes) -> None:
    out = decode_text("f.txt", raw, 200)
    assert isinstance(out, str | Rejection)
