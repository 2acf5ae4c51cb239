"""Ids, envelope and codec: deterministic, immutable, schema-valid."""

from __future__ import annotations

import hashlib
from dataclasses import fields
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from newswire import events, ids
from newswire.events import Envelope, EnvelopeError
from newswire.records import ArticleIngested, Extraction, Origin
from newswire.schema_registry import SchemaError, check_event, validate_event

json_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def article(body: str = "Some text about talks.", url: str | None = None) -> ArticleIngested:
    return ArticleIngested(
        article_id=ids.article_id_for_url(url) if url else ids.article_id_for_text(body),
        revision=ids.content_hash(body),
        url=url,
        title="A title",
        outlet="An outlet",
        published="2025-05-18T12:00:00Z",
        body=body,
        origin=Origin(kind="seed", path="x.txt"),
        extraction=Extraction(outcome="text"),
    )


@given(st.text(min_size=1))
def test_text_ids_ignore_whitespace_layout(text: str) -> None:
    spaced = "  " + text.replace(" ", "\n  ") + "\t"
    assert ids.article_id_for_text(text) == ids.article_id_for_text(spaced)
    assert ids.content_hash(text) == ids.content_hash(spaced)


@given(st.text(), st.text())
def test_digest_parts_are_separated(a: str, b: str) -> None:
    if a + b and (a, b) != (a + b, ""):
        assert ids.stable_id("x", a, b) != ids.stable_id("x", a + b, "") or b == ""


@given(st.lists(st.text(), max_size=4), st.sampled_from([4, 8, 12, 16]))
def test_digest_is_blake2b_of_the_separated_parts(parts: list[str], size: int) -> None:
    """Ids already written (events, checkpoints, the compacted topic) must not change."""
    reference = hashlib.blake2b(digest_size=size)
    for part in parts:
        reference.update(part.encode("utf-8"))
        reference.update(b"\x1f")
    assert ids._digest(*parts, size=size) == reference.hexdigest()


def test_ids_are_deterministic_and_distinct() -> None:
    assert ids.article_id_for_url("https://a.example/x") == ids.article_id_for_url("https://a.example/x")
    assert ids.article_id_for_url("https://a.example/x") != ids.article_id_for_url("https://a.example/y")
    d1 = ids.derived_event_id(events.CLAIMS_EXTRACTED, "evt-1", "claims@1")
    assert d1 == ids.derived_event_id(events.CLAIMS_EXTRACTED, "evt-1", "claims@1")
    assert d1 != ids.derived_event_id(events.CLAIMS_EXTRACTED, "evt-1", "claims@2")
    assert d1 != ids.derived_event_id(events.ENTITIES_EXTRACTED, "evt-1", "claims@1")


@given(st.text(max_size=60))
def test_slug_is_lowercase_ascii(name: str) -> None:
    s = ids.slug(name)
    assert s and s == s.lower() and s.isascii() and " " not in s


def test_slug_examples() -> None:
    assert ids.slug("Volodymyr Zelensky") == "volodymyr-zelensky"
    assert ids.slug("Türkiye") == "turkiye"
    assert ids.slug("U.S.") == "u-s"


def test_article_event_is_schema_valid_and_round_trips() -> None:
    env = article().envelope("urn:newswire/test", datetime(2026, 1, 1, tzinfo=UTC))
    raw = events.encode(env)
    decoded = validate_event(raw)
    assert decoded["subject"] == env.data["article_id"]
    back = events.decode(raw)
    assert back == env
    assert ArticleIngested.from_data(back.data) == article()
    assert dict(env.headers())["ce_id"] == env.id.encode()


def test_same_article_same_event_id_new_text_new_revision() -> None:
    a = article(url="https://n.example/a")
    b = article(body="Changed text.", url="https://n.example/a")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert a.article_id == b.article_id
    assert a.envelope("s", now).id == article(url="https://n.example/a").envelope("s", now).id
    assert a.envelope("s", now).id != b.envelope("s", now).id


def test_envelope_data_is_immutable() -> None:
    env = article().envelope("s", datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(TypeError):
        env.data["title"] = "x"  # type: ignore[index]
    with pytest.raises(AttributeError):
        env.id = "other"  # type: ignore[misc]


@given(json_values)
def test_envelope_round_trips_any_json_data(value: object) -> None:
    env = Envelope(
        id="evt-1", type=events.DEADLETTER, source="s", subject="k", time="2026-01-01T00:00:00Z", data={"v": value}
    )
    assert events.decode(events.encode(env)).to_dict() == env.to_dict()


@given(json_values, st.booleans(), st.dictionaries(st.sampled_from(["traceparent", "partitionkey"]), st.text()))
def test_a_decoded_envelope_is_the_one_its_fields_make(
    value: object, derived: bool, extensions: dict[str, str]
) -> None:
    """Decoding builds the envelope without ``__init__``: it must still set every field, freeze
    the data and equal the envelope made from the same values."""
    env = Envelope(
        id="evt-1",
        type=events.DEADLETTER,
        source="s",
        subject="k",
        time="2026-01-01T00:00:00Z",
        data={"v": value},
        causationid="evt-0" if derived else None,
        extractor="x@1" if derived else None,
        extensions=MappingProxyType(extensions),
    )
    decoded = events.decode(events.encode(env))
    assert vars(decoded).keys() == {f.name for f in fields(Envelope)}
    assert decoded == env
    assert decoded.data_json == env.data_json
    with pytest.raises(TypeError):
        decoded.data["v"] = 1  # type: ignore[index]


@given(json_values, st.booleans())
def test_parsed_data_is_the_data_and_leaves_the_event_frozen(value: object, read_first: bool) -> None:
    """The projector reads a decoded event's data as parsed (:func:`events.parsed_data`); the
    event's own ``data`` is still the same, frozen, whichever is read first."""
    made = Envelope(
        id="evt-1", type=events.DEADLETTER, source="s", subject="k", time="2026-01-01T00:00:00Z", data={"v": value}
    )
    decoded = events.decode(events.encode(made))
    if read_first:
        assert decoded.data == made.data
    parsed = events.parsed_data(decoded)
    assert orjson.dumps(parsed) == orjson.dumps(events.parsed_data(made)) == made.data_json
    assert decoded.data == made.data and decoded.data_json == made.data_json
    with pytest.raises(TypeError):
        decoded.data["v"] = 1  # type: ignore[index]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"{not json", "invalid_json"),
        (b"[1,2]", "not_cloudevent"),
        (b'{"specversion":"1.0"}', "not_cloudevent"),
        (None, "empty"),
        (
            orjson.dumps(
                {
                    "specversion": "1.0",
                    "id": "1",
                    "source": "s",
                    "type": "other.type",
                    "subject": "x",
                    "time": "2026-01-01T00:00:00Z",
                    "dataschema": "urn:x",
                    "data": {},
                }
            ),
            "unknown_type",
        ),
    ],
)
def test_decode_reports_a_reason(value: bytes | None, reason: str) -> None:
    with pytest.raises(EnvelopeError) as info:
        events.decode(value)
    assert info.value.reason == reason


def test_schema_rejects_bad_data() -> None:
    env = article().envelope("s", datetime(2026, 1, 1, tzinfo=UTC)).to_dict()
    env["data"]["body"] = ""
    with pytest.raises(SchemaError):
        check_event(env)
    env2 = article().envelope("s", datetime(2026, 1, 1, tzinfo=UTC)).to_dict()
    env2["dataschema"] = "urn:newswire:schema:newswire.article.ingested:v9"
    with pytest.raises(SchemaError):
        check_event(env2)


def test_format_time_is_utc_z() -> None:
    t = datetime(2025, 5, 18, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert events.format_time(t) == "2025-05-18T12:00:00Z"
    assert events.parse_time("2025-05-18T12:00:00Z") == t
    with pytest.raises(ValueError):
        events.format_time(datetime(2025, 1, 1))
