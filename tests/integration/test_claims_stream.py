"""``enrich claims`` against a real broker: seeds replayed → one claims event per article.

Expect: five events, schema-valid and derived from their article events (deterministic ids);
every evidence span lies inside the article body and inside its sentence; quotes, counts and
events are all present; a replay through fresh topics gives the same ids and data; a poison
article is dead-lettered while the good one goes through.
"""

from __future__ import annotations

import io
import threading
from dataclasses import replace
from typing import Any

import pytest

from consumers.claims import extract
from consumers.claims.service import STAGE, ClaimsMetrics, make_handler
from consumers.nlp.model import load_model
from ingestor.replay import collect_files, replay
from newswire import events, ids
from newswire.bus import Publisher, Shutdown, ensure_topics, make_producer
from newswire.metrics import new_registry
from newswire.schema_registry import validate_event
from newswire.service import run_stage
from newswire.settings import Settings
from newswire.topics import ARTICLES, CLAIMS, DEADLETTER
from tests.conftest import SEEDS
from tests.integration.kafka_helpers import read_all

pytestmark = pytest.mark.broker


def _start_stage(settings: Settings) -> tuple[threading.Thread, Shutdown]:
    registry = new_registry(STAGE)
    handler = make_handler(load_model(), None, settings.event_source, metrics=ClaimsMetrics.create(registry))
    shutdown = Shutdown()
    thread = threading.Thread(
        target=run_stage,
        kwargs={
            "name": STAGE,
            "settings": settings,
            "registry": registry,
            "handler": handler,
            "input_roles": [ARTICLES],
            "accepted_types": [events.ARTICLE_INGESTED],
            "shutdown": shutdown,
        },
        daemon=True,
    )
    thread.start()
    return thread, shutdown


def _replay_and_extract(settings: Settings) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    ensure_topics(settings)
    report = replay(collect_files([SEEDS]), settings, out=io.StringIO())
    assert len(report.published) == 5 and not report.rejected
    thread, shutdown = _start_stage(settings)
    try:
        records = read_all(settings, CLAIMS, expect_at_least=5, timeout_s=90)
    finally:
        shutdown.event.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    articles = {d["id"]: d for d in (validate_event(r.value) for r in read_all(settings, ARTICLES, 5))}
    return [validate_event(r.value) for r in records], articles


def test_seeds_give_five_valid_claim_events_with_spans_in_the_body(settings: Settings) -> None:
    first, articles = _replay_and_extract(settings)
    assert len(first) == 5
    assert {e["causationid"] for e in first} == set(articles)
    kinds: set[str] = set()
    for event in first:
        article = articles[event["causationid"]]
        data = event["data"]
        assert event["type"] == events.CLAIMS_EXTRACTED
        assert event["id"] == ids.derived_event_id(events.CLAIMS_EXTRACTED, article["id"], extract.EXTRACTOR)
        assert event["extractor"] == extract.EXTRACTOR
        assert event["subject"] == article["subject"] == data["article_id"]
        assert data["revision"] == article["data"]["revision"]
        assert data["published"] == article["data"]["published"]
        assert data["outcome"]["status"] == "ok"
        body = article["data"]["body"]
        claim_ids = [c["id"] for c in data["claims"]]
        assert len(claim_ids) == len(set(claim_ids)), "claim ids are unique within an article"
        for claim in data["claims"]:
            kinds.add(claim["kind"])
            ev = claim["evidence"]
            assert 0 <= ev["sentence_start"] <= ev["start"] < ev["end"] <= ev["sentence_end"] <= len(body)
            assert body[ev["sentence_start"] : ev["sentence_end"]] == ev["sentence"]
            if claim["kind"] == "quote" and claim["quote"]["direct"]:
                assert claim["quote"]["text"] in body[ev["start"] : ev["end"]]
    assert kinds == {"quote", "count", "event"}

    again, _ = _replay_and_extract(replace(settings, topic_prefix=settings.topic_prefix + "again."))
    by_id = {e["id"]: e["data"] for e in first}
    assert sorted(e["id"] for e in again) == sorted(by_id)
    assert all(e["data"] == by_id[e["id"]] for e in again)


def test_a_poison_article_is_dead_lettered_and_the_good_one_goes_through(settings: Settings) -> None:
    ensure_topics(settings)
    report = replay(collect_files([SEEDS / "002_68572fa5849bac55.txt"]), settings, out=io.StringIO())
    good_id = report.published[0]
    poison = events.Envelope(
        id="evt-poison",
        type=events.ARTICLE_INGESTED,
        source="urn:test",
        subject="art-00000000000000000000",
        time="2025-05-18T00:00:00Z",
        data={"not": "an article"},
    )
    publisher = Publisher(make_producer(settings, "test"), settings)
    publisher.send(
        f"{settings.topic_prefix}newswire.articles.v1", b"art-poison", events.encode(poison), poison.headers()
    )
    publisher.flush()
    publisher.close()
    thread, shutdown = _start_stage(settings)
    try:
        out = read_all(settings, CLAIMS, expect_at_least=1, timeout_s=90)
        dead = read_all(settings, DEADLETTER, expect_at_least=1, timeout_s=30)
    finally:
        shutdown.event.set()
        thread.join(timeout=30)
    assert [validate_event(r.value)["causationid"] for r in out] == [good_id]
    assert len(dead) == 1 and validate_event(dead[0].value)["data"]["stage"] == STAGE
