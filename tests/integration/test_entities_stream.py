"""``enrich entities`` against a real broker: seeds replayed → one entities event per article.

Expect: five events, each schema-valid and derived from its article event; every mention span
points at the named text of the article body; a second replay through a fresh pipeline yields
the same event ids and the same data; a poison article is dead-lettered and the rest go through.
"""

from __future__ import annotations

import io
import threading
from dataclasses import replace
from typing import Any

import pytest

from consumers.entities import core
from consumers.entities.service import STAGE, EntitiesMetrics, make_handler
from consumers.nlp.model import load_model
from ingestor.replay import collect_files, replay
from newswire import events, ids
from newswire.bus import Publisher, Shutdown, ensure_topics, make_producer
from newswire.metrics import new_registry
from newswire.schema_registry import validate_event
from newswire.service import run_stage
from newswire.settings import Settings
from newswire.topics import ARTICLES, DEADLETTER, ENTITIES
from tests.conftest import SEEDS
from tests.integration.kafka_helpers import read_all

pytestmark = pytest.mark.broker


def _start_stage(settings: Settings) -> tuple[threading.Thread, Shutdown]:
    registry = new_registry(STAGE)
    handler = make_handler(load_model(), None, settings.event_source, metrics=EntitiesMetrics.create(registry))
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


def _replay_and_enrich(settings: Settings) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Replay the seeds into fresh topics, run the stage until five events are out, stop it."""
    ensure_topics(settings)
    report = replay(collect_files([SEEDS]), settings, out=io.StringIO())
    assert len(report.published) == 5 and not report.rejected
    thread, shutdown = _start_stage(settings)
    try:
        records = read_all(settings, ENTITIES, expect_at_least=5, timeout_s=90)
    finally:
        shutdown.event.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    articles = {d["id"]: d for d in (validate_event(r.value) for r in read_all(settings, ARTICLES, 5))}
    return [validate_event(r.value) for r in records], articles


def test_seeds_replayed_twice_give_five_valid_stable_entity_events(settings: Settings) -> None:
    first, articles = _replay_and_enrich(settings)
    assert len(first) == 5
    assert {e["causationid"] for e in first} == set(articles)
    for event in first:
        article = articles[event["causationid"]]
        data = event["data"]
        assert event["id"] == ids.derived_event_id(events.ENTITIES_EXTRACTED, article["id"], core.EXTRACTOR)
        assert event["subject"] == article["subject"] == data["article_id"]
        assert data["revision"] == article["data"]["revision"]
        assert data["outcome"]["status"] == "ok"
        assert len(data["entities"]) >= 10
        body = article["data"]["body"]
        for entity in data["entities"]:
            assert entity["count"] == len(entity["mentions"]) >= 1
            for m in entity["mentions"]:
                assert body[m["start"] : m["end"]] == m["text"]
                assert m["sentence"]["start"] <= m["start"] < m["end"] <= m["sentence"]["end"]
        found = {e["id"] for e in data["entities"]}
        assert {"donald-trump", "vladimir-putin", "volodymyr-zelensky", "russia", "ukraine"} <= found

    again, _articles = _replay_and_enrich(replace(settings, topic_prefix=settings.topic_prefix + "again."))
    assert sorted(e["id"] for e in again) == sorted(e["id"] for e in first)
    by_id = {e["id"]: e["data"] for e in first}
    assert all(e["data"] == by_id[e["id"]] for e in again)


def test_a_poison_article_is_dead_lettered_and_the_batch_goes_through(settings: Settings) -> None:
    ensure_topics(settings)
    report = replay(collect_files([SEEDS / "002_68572fa5849bac55.txt"]), settings, out=io.StringIO())
    good_id = report.published[0]
    # an article event whose data does not match its schema: the stage must not stop on it
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
        out = read_all(settings, ENTITIES, expect_at_least=1, timeout_s=90)
        dead = read_all(settings, DEADLETTER, expect_at_least=1, timeout_s=30)
    finally:
        shutdown.event.set()
        thread.join(timeout=30)
    assert [validate_event(r.value)["causationid"] for r in out] == [good_id]
    assert len(dead) == 1 and validate_event(dead[0].value)["data"]["stage"] == STAGE
