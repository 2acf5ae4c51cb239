"""Fuzzing the pure cores and the stage loop with hypothesis (issue 8, item 8).

Bytes, HTML-ish text and article text go through the real ingest parser, the real envelope
decoder, and the real stage loop (:class:`StageRunner`) with the real entities and claims handlers
(broker replaced by an in-memory stub): no exception escapes, and in = out + dead-lettered +
deduplicated holds for every batch. Event streams with redeliveries, in any order, fold into the
same projector view as the deduplicated stream.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.results import record
from consumers.projector.view import TalksView
from ingestor.replay import build_events, collect_files
from ingestor.seeds import Debris, Rejection, SeedMeta, decode_text, parse_article_text
from newswire import events
from newswire.bus import BatchHandler, Publisher, RecentIds, Rejected, Shutdown, StageRunner, decode_record
from newswire.events import Envelope
from newswire.metrics import StageMetrics, new_registry
from newswire.records import ArticleIngested
from newswire.schema_registry import check_event
from newswire.settings import Settings
from newswire.topics import ARTICLES, CLAIMS, DEADLETTER, ENTITIES, topic_name
from tests.faults.harness import SEEDS

pytestmark = pytest.mark.faults

NOW = datetime(2026, 1, 1, tzinfo=UTC)
DEBRIS = Debris.load()
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FUZZ_SLOW = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
COUNTS: dict[str, int] = {}

html_bits = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<script>alert(1)</script>",
        "&amp;",
        "&#x0;",
        "<div class='x'>",
        "\u202e",
        "\x00",
        "\r\n",
        "\t",
        "Zelensky said on Monday that",
        " Putin ",
        '"We will not" ',
        "at least 12 people were killed",
        "«",
        "»",
        "…",
    ]
)
texty = st.lists(st.one_of(st.text(max_size=80), html_bits), max_size=60).map("".join)


def _count(name: str) -> None:
    COUNTS[name] = COUNTS.get(name, 0) + 1


def _article(text: str) -> ArticleIngested | Rejection:
    return parse_article_text("fuzz.txt", text, SeedMeta(), DEBRIS)


@FUZZ
@given(st.binary(max_size=4000))
def test_seed_bytes_never_raise(raw: bytes) -> None:
    _count("seed-bytes")
    text = decode_text("fuzz.txt", raw, 2000)
    if isinstance(text, Rejection):
        assert text.reason
        return
    out = _article(text)
    if isinstance(out, ArticleIngested):
        check_event(orjson.loads(events.encode(out.envelope("urn:fuzz", NOW))))


@FUZZ
@given(texty)
def test_seed_text_never_raises_and_events_are_schema_valid(text: str) -> None:
    _count("seed-text")
    out = _article(text)
    if isinstance(out, ArticleIngested):
        check_event(orjson.loads(events.encode(out.envelope("urn:fuzz", NOW))))
        assert out.body.strip()


def _valid_event() -> dict[str, Any]:
    env = next(e for e in build_events(collect_files([SEEDS]), Settings()) if isinstance(e, Envelope))
    return dict(orjson.loads(events.encode(env)))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4),
    max_leaves=12,
)


@FUZZ
@given(st.one_of(st.binary(max_size=2000), st.dictionaries(st.sampled_from(sorted(_valid_event())), json_values)))
def test_decode_record_never_raises(value: bytes | dict[str, Any]) -> None:
    _count("decode")
    raw = value if isinstance(value, bytes) else json.dumps({**_valid_event(), **value}).encode()
    out = decode_record(raw, 1_000_000, [events.ARTICLE_INGESTED])
    assert isinstance(out, Envelope | Rejected)
    if isinstance(out, Rejected):
        assert out.reason


# ------------------------------------------------------------------------------------------------
# the stage loop with the real handlers, broker stubbed


class _Future:
    def get(self, timeout: float | None = None) -> None:
        return None


class _Producer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes | None]] = []

    def send(self, topic: str, key: bytes | None = None, value: bytes | None = None, headers: Any = None) -> _Future:
        self.sent.append((topic, key, value))
        return _Future()

    def flush(self, timeout: float | None = None) -> None:
        return None


class _Consumer:
    def __init__(self) -> None:
        self.commits = 0

    def commit(self, offsets: Any) -> None:
        self.commits += 1


class _Record:
    def __init__(self, topic: str, offset: int, key: bytes | None, value: bytes | None) -> None:
        self.topic, self.partition, self.offset, self.key, self.value, self.timestamp = topic, 0, offset, key, value, 0


@cache
def _handlers() -> dict[str, BatchHandler]:
    from consumers.claims import service as claims_service
    from consumers.entities import service as entities_service
    from consumers.nlp.model import configured_gazetteer, load_model

    nlp = load_model()
    gaz = configured_gazetteer()
    return {
        ENTITIES: entities_service.make_handler(nlp, gaz, "urn:fuzz", batch_size=4),
        CLAIMS: claims_service.make_handler(nlp, gaz, "urn:fuzz", batch_size=4),
    }


record_kinds = st.one_of(
    texty.map(lambda t: ("text", t)),
    st.binary(max_size=300).map(lambda b: ("bytes", b)),
    st.integers(0, 20).map(lambda i: ("dup", i)),
    st.just(("huge", "")),
)


@FUZZ_SLOW
@given(st.lists(record_kinds, min_size=1, max_size=8), st.sampled_from([ENTITIES, CLAIMS]))
def test_no_exception_escapes_a_stage_and_counts_reconcile(kinds: list[tuple[str, Any]], role: str) -> None:
    _count("stage-" + role)
    s = Settings(max_event_bytes=200_000)
    topic = topic_name(ARTICLES, s.topic_prefix)
    values: list[bytes | None] = []
    for kind, arg in kinds:
        if kind == "text":
            art = _article(arg)
            values.append(
                events.encode(art.envelope("urn:fuzz", NOW)) if isinstance(art, ArticleIngested) else arg.encode()
            )
        elif kind == "bytes":
            values.append(arg)
        elif kind == "huge":
            values.append(b"x" * 300_000)
        else:
            values.append(values[arg % len(values)] if values else None)
    records = [_Record(topic, i, b"k", v) for i, v in enumerate(values)]
    registry = new_registry("fuzz")
    producer, consumer = _Producer(), _Consumer()
    runner = StageRunner(
        name="fuzz",
        settings=s,
        input_roles=[ARTICLES],
        accepted_types=[events.ARTICLE_INGESTED],
        handler=_handlers()[role],
        metrics=StageMetrics.create(registry),
        shutdown=Shutdown(),
        _consumer=consumer,
        _publisher=Publisher(producer, s),
        _recent=RecentIds(),
    )
    runner.process_records(records)  # must not raise
    out = sum(1 for t, _k, _v in producer.sent if t == topic_name(role, s.topic_prefix))
    dead = sum(1 for t, _k, _v in producer.sent if t == topic_name(DEADLETTER, s.topic_prefix))
    dup = registry.get_sample_value("newswire_stage_duplicates_total", {"stage": "fuzz"}) or 0.0
    assert len(records) == out + dead + dup
    assert consumer.commits == 1
    for _t, _k, v in producer.sent:
        check_event(orjson.loads(v or b""))


# ------------------------------------------------------------------------------------------------
# the projector's view: redeliveries in any order give the deduplicated view


@cache
def _stream() -> tuple[Envelope, ...]:
    arts = [e for e in build_events(collect_files([SEEDS]), Settings(), loops=2) if isinstance(e, Envelope)]
    h = _handlers()
    derived = [o.envelope for role in (ENTITIES, CLAIMS) for outs in h[role](arts) for o in outs]
    return tuple(arts + derived)


@cache
def _reference() -> tuple[str, int]:
    view = TalksView()
    for env in _stream():
        view.apply(env)
    view.refresh()
    return view.canonical_hash(), view.applied


@FUZZ_SLOW
@given(st.data())
def test_any_interleaving_with_redeliveries_gives_the_deduplicated_view(data: st.DataObject) -> None:
    _count("view")
    stream = list(_stream())
    order: Sequence[Envelope] = data.draw(st.permutations(stream))
    redeliver = data.draw(st.lists(st.integers(0, len(stream) - 1), max_size=len(stream)))
    refresh_every = data.draw(st.integers(1, len(stream)))
    merged = list(order)
    for i in redeliver:
        merged.insert(data.draw(st.integers(0, len(merged))), stream[i])
    view = TalksView()
    for k, env in enumerate(merged, 1):
        view.apply(env)
        if k % refresh_every == 0:
            view.refresh()
    view.refresh()
    assert (view.canonical_hash(), view.applied) == _reference()
    snap = TalksView.from_snapshot(orjson.loads(orjson.dumps(view.to_snapshot())))
    assert snap.canonical_hash() == view.canonical_hash()


def test_zz_fuzz_figure() -> None:
    total = sum(COUNTS.values())
    record(
        "fuzz",
        f"{total} hypothesis examples, 0 exceptions escaped: "
        + ", ".join(f"{k} {v}" for k, v in sorted(COUNTS.items()))
        + f"; view from {len(_stream())} events equal under every interleaving with redeliveries",
    )
    assert total > 0, "run with the other tests of this module"
