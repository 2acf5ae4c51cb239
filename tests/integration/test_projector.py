"""The projector on a real broker: seeds in, gold state out; changes published; checkpoint resume;
poison records dead-lettered; SSE and health over real HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

import httpx
import orjson
import pytest

from consumers.projector.service import Projector, build
from newswire import events
from newswire.bus import Publisher, ensure_topics, make_producer
from newswire.events import Envelope
from newswire.schema_registry import check_event
from newswire.settings import Settings
from newswire.topics import ARTICLES, CLAIMS, ENTITIES, topic_name
from tests.conftest import wait_until
from tests.integration.kafka_helpers import read_all
from tests.unit.projector_support import (
    assert_gold_proposals,
    assert_gold_state,
    other_story_article,
    seed_articles,
    seed_events,
    seeds_over_days,
)

pytestmark = pytest.mark.broker

ROLE = {events.ARTICLE_INGESTED: ARTICLES, events.ENTITIES_EXTRACTED: ENTITIES, events.CLAIMS_EXTRACTED: CLAIMS}


def publish(settings: Settings, evts: Sequence[Envelope]) -> None:
    pub = Publisher(make_producer(settings, "test"), settings)
    try:
        for env in evts:
            pub.publish(ROLE[env.type], env)
        pub.flush(10)
    finally:
        pub.close()


def start(settings: Settings, **kw: Any) -> Projector:
    proj = build(replace(settings, http_port=0), checkpoint_interval_s=0.0, **kw)
    proj.thread.start()
    threading.Thread(target=proj.serve, daemon=True).start()
    wait_until(lambda: proj.server.started and not proj.hub.restoring, 10, what="http server, view restored")
    return proj


@pytest.fixture
def projector(settings: Settings) -> Iterator[Projector]:
    ensure_topics(settings)
    proj = start(settings)
    yield proj
    proj.stop()


def state(proj: Projector) -> dict[str, Any]:
    return dict(httpx.get(f"{proj.url}api/state", timeout=5).json())


def names() -> dict[str, str]:
    return {n: str(e.data["article_id"]) for n, e in seed_articles().items()}


def test_seeds_in_gold_state_out_and_changes_published(settings: Settings, projector: Projector) -> None:
    publish(settings, seed_events())
    wait_until(lambda: state(projector)["view_version"] == len(seed_events()), 30, what="all events applied")
    st = state(projector)
    assert_gold_state(st, names())
    assert_gold_proposals(st)
    call = max(st["sections"]["upcoming"], key=lambda i: i["sources"])
    one = httpx.get(f"{projector.url}api/items/{call['id']}", timeout=5).json()
    assert one["articles"][0]["evidence"][0]["sentence"]
    assert httpx.get(f"{projector.url}api/items/nope", timeout=5).status_code == 404
    # every current item is on the compacted state topic, keyed by its id, schema-valid
    ids = {i["id"] for rows in st["sections"].values() for i in rows}
    records = read_all(settings, "state", expect_at_least=len(ids))
    keys = {r.key.decode() for r in records}
    assert ids <= keys
    for r in records[:20]:
        check_event(orjson.loads(r.value))
    health = httpx.get(f"{projector.url}healthz", timeout=5)
    assert health.status_code == 200, health.text
    metrics = httpx.get(f"{projector.url}metrics", timeout=5).text
    assert 'newswire_view_items{section="upcoming"} 3.0' in metrics
    assert "newswire_view_last_update_timestamp_seconds" in metrics
    assert 'newswire_stage_events_in_total{stage="projector"}' in metrics
    spec = httpx.get(f"{projector.url}openapi.json", timeout=5).json()
    assert {"/api/state", "/api/items/{item_id}", "/api/stream", "/healthz"} <= set(spec["paths"])


def test_restart_resumes_from_checkpoint_and_equals_rebuild(settings: Settings) -> None:
    ensure_topics(settings)
    evts = list(seed_events())
    publish(settings, evts[:9])
    first = start(settings)
    wait_until(lambda: state(first)["view_version"] == 9, 30, what="first part applied")
    first.stop()
    publish(settings, evts[6:] + evts[:3])  # redeliveries and the rest
    second = start(settings)
    try:
        # resumed: the checkpoint's 9 events were not applied again
        dups = second.loop.stage.duplicates.labels(stage="projector")
        wait_until(lambda: dups._value.get() == 6, 30, what="redeliveries dropped")
        assert state(second)["view_version"] == len(evts)
        resumed = second.hub.view.canonical_hash()
    finally:
        second.stop()
    third = start(settings, rebuild=True)
    try:
        # a rebuild reads all 21 records again: 15 distinct events, 6 duplicates
        dups = third.loop.stage.duplicates.labels(stage="projector")
        wait_until(lambda: dups._value.get() == 6, 30, what="rebuild read every record")
        assert state(third)["view_version"] == len(evts)
        assert third.hub.view.canonical_hash() == resumed
    finally:
        third.stop()


def test_poison_records_are_dead_lettered_and_the_rest_goes_through(settings: Settings, projector: Projector) -> None:
    producer = make_producer(settings, "poison")
    topic = topic_name(CLAIMS, settings.topic_prefix)
    producer.send(topic, key=b"x", value=b"{not json")
    producer.send(topic, key=b"y", value=orjson.dumps({"specversion": "1.0"}))
    producer.flush(10)
    producer.close()
    publish(settings, seed_events()[:3])
    wait_until(lambda: state(projector)["view_version"] == 3, 30, what="good events applied")
    dead = read_all(settings, "deadletter", expect_at_least=2)
    reasons = sorted(orjson.loads(r.value)["data"]["reason"] for r in dead)
    assert reasons == ["invalid_json", "not_cloudevent"]


def test_the_stream_announces_changes(settings: Settings, projector: Projector) -> None:
    got: list[str] = []

    def listen() -> None:
        with httpx.stream("GET", f"{projector.url}api/stream", timeout=30) as resp:
            for line in resp.iter_lines():
                got.append(line)
                if line.startswith("data:") and "changes" in line:
                    return

    t = threading.Thread(target=listen, daemon=True)
    t.start()
    wait_until(lambda: any(line.startswith("event: hello") for line in got), 10, what="hello event")
    publish(settings, seed_events()[:3])
    wait_until(lambda: any("changes" in line for line in got), 20, what="a change event")
    change = orjson.loads(next(line for line in got if "changes" in line)[5:])
    assert change["view_version"] >= 1 and change["changes"]


def test_healthz_fails_when_the_loop_is_dead(settings: Settings, projector: Projector) -> None:
    wait_until(lambda: httpx.get(f"{projector.url}healthz", timeout=5).status_code == 200, 20, what="healthy")
    projector.loop.shutdown.event.set()
    projector.thread.join(20)
    resp = httpx.get(f"{projector.url}healthz", timeout=5)
    assert resp.status_code == 503 and "not running" in resp.text


def test_events_older_than_the_window_are_ignored_and_counted_late(settings: Settings) -> None:
    """Twelve days of seeds through a 3-day window: the view forgets the old days and their ids;
    an event of the first day that arrives after that is ignored, counted and logged, not applied."""
    ensure_topics(settings)
    proj = start(replace(settings, view_window_days=3))
    try:
        evts = seeds_over_days(12)
        publish(settings, evts)
        view = proj.hub.view
        # (the three topics interleave: an event of an early day may already arrive late)
        wait_until(lambda: view.applied + view.late == len(evts), 60, what="all events taken in")
        # (the view forgets at the refresh that follows the batch, not when the batch is applied)
        wait_until(lambda: len(view.seen) < len(evts) / 2, 30, what="the view forgot the ids of its first days")
        assert view.seen.forgotten_to is not None
        late_before = view.late
        first_day = events.parse_time(evts[0].time).timestamp()
        publish(settings, [other_story_article(first_day + 3600, loop=77), evts[1]])  # new, and a redelivery
        wait_until(lambda: view.late == late_before + 2, 30, what="both counted late")
        assert view.applied + view.late == len(evts) + 2
        metrics = httpx.get(f"{proj.url}metrics", timeout=5).text
        assert f"newswire_view_late_events_total {float(view.late)}" in metrics
    finally:
        proj.stop()
