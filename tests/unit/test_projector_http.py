"""The HTTP app without a broker: a hub filled from seed-derived events, read through the API."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import replace
from pathlib import Path

from fastapi.testclient import TestClient

from consumers.projector.http import create_app
from consumers.projector.runtime import ProjectorLoop, ViewHub, ViewMetrics, item_changed_envelope
from consumers.projector.store import CheckpointStore, Saved
from consumers.projector.view import Change, build
from newswire.bus import Shutdown
from newswire.metrics import StageMetrics, new_registry
from newswire.schema_registry import check_event
from newswire.settings import Settings
from tests.unit.projector_support import seed_events


def _client() -> tuple[TestClient, ViewHub]:
    registry = new_registry("projector")
    StageMetrics.create(registry)
    hub = ViewHub(metrics=ViewMetrics.create(registry))
    view = build(seed_events())
    hub.replace(view)
    hub.health.loop_alive = True
    hub.health.polled(time.monotonic(), 0)
    return TestClient(create_app(hub, registry)), hub


def test_state_items_page_and_openapi() -> None:
    client, _hub = _client()
    state = client.get("/api/state").json()
    assert state["view_version"] == len(seed_events())
    call = max(state["sections"]["upcoming"], key=lambda i: i["sources"])
    assert client.get(f"/api/items/{call['id']}").json() == call
    assert client.get("/api/items/item-nothing").status_code == 404
    page = client.get("/")
    assert page.status_code == 200 and "EventSource" in page.text and "/api/stream" in page.text
    spec = client.get("/openapi.json").json()
    assert "/api/items/{item_id}" in spec["paths"] and "/api/stream" in spec["paths"]


def test_the_page_reads_a_bounded_summary_and_pages_of_a_section() -> None:
    client, _hub = _client()
    state = client.get("/api/state").json()
    summary = client.get("/api/summary", params={"limit": 1}).json()
    assert summary["counts"] == state["counts"] and summary["limit"] == 1
    assert all(rows == state["sections"][name][:1] for name, rows in summary["sections"].items())
    held = state["sections"]["held"]
    page = client.get("/api/sections/held", params={"offset": 1, "limit": 2}).json()
    assert page["items"] == held[1:3] and page["total"] == len(held)
    assert client.get("/api/sections/nothing").status_code == 404
    assert client.get("/api/summary", params={"limit": 0}).status_code == 422  # (at least one, at most 500)
    assert client.get("/api/summary", params={"limit": 501}).status_code == 422
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/summary" in paths and "/api/sections/{section}" in paths
    assert "/api/summary" in client.get("/").text  # what the page fetches


def test_an_article_lists_the_items_it_supports() -> None:
    client, hub = _client()
    state = client.get("/api/state").json()
    call = max(state["sections"]["upcoming"], key=lambda i: i["sources"])
    cited = {a["article_id"] for a in call["articles"]}
    for aid in sorted(hub.view.articles):
        found = client.get(f"/api/articles/{aid}").json()
        assert found["article_id"] == aid and found["claims_applied"] is True
        ids = {i["id"] for i in found["items"]}
        assert (call["id"] in ids) == (aid in cited)
        for i in found["items"]:  # each listed item exists and names the article among its sources
            item = client.get(f"/api/items/{i['id']}").json()
            assert item["label"] == i["label"]
            listed = {a["article_id"] for a in item.get("articles", [])} | {
                p["article_id"] for p in item.get("positions", [])
            }
            assert aid in listed or item["articles_total"] > len(item["articles"])
    assert client.get("/api/articles/nothing").status_code == 404
    assert "/api/articles/{article_id}" in client.get("/openapi.json").json()["paths"]


def test_metrics_and_health() -> None:
    client, hub = _client()
    text = client.get("/metrics").text
    assert 'newswire_view_items{section="stories"} 1.0' in text
    assert "newswire_view_version" in text and "newswire_build_info" in text
    assert client.get("/healthz").status_code == 200
    hub.health.loop_alive = False
    failing = client.get("/healthz")
    assert failing.status_code == 503 and failing.json()["problems"]


class _HeldStore(CheckpointStore):
    """A store whose load waits until the test lets it go (a restore that takes a while)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.entered, self.release = threading.Event(), threading.Event()

    def load(self) -> Saved:
        self.entered.set()
        assert self.release.wait(30), "the test never released the load"
        return super().load()


def test_while_the_view_is_restored_the_api_says_so_then_serves_it(tmp_path: Path) -> None:
    view = build(seed_events())
    CheckpointStore.in_dir(tmp_path).save(view.checkpoint_parts(), {("newswire.claims.v1", 0): 9}, 1.0)
    registry = new_registry("projector")
    hub = ViewHub(metrics=ViewMetrics.create(registry))
    hub.health.loop_alive = True
    store = _HeldStore(tmp_path / "projector.sqlite")
    settings = replace(Settings(), data_dir=str(tmp_path), view_window_days=view.window.seconds / 86400)
    loop = ProjectorLoop(settings, hub, StageMetrics.create(registry), store, Shutdown())
    client = TestClient(create_app(hub, registry))
    events_loop = asyncio.new_event_loop()
    sub = hub.subscribe(events_loop)
    restoring = threading.Thread(target=loop.restore)
    restoring.start()
    try:
        assert store.entered.wait(30)
        for path in ("/api/state", "/api/summary", "/api/sections/held", "/api/items/x", "/api/articles/x"):
            answer = client.get(path)
            assert answer.status_code == 503 and answer.headers["Retry-After"] == "2"
            assert answer.json()["detail"].startswith("restoring")
        health = client.get("/healthz")
        assert health.status_code == 200 and health.json()["phase"] == "restoring"
    finally:
        store.release.set()
        restoring.join(60)
    assert not restoring.is_alive()
    state = client.get("/api/state").json()
    assert state["view_version"] == view.applied and state["sections"]["upcoming"]
    assert client.get("/healthz").json()["phase"] == "consuming"
    assert "newswire_projector_restore_seconds" in client.get("/metrics").text
    events_loop.run_until_complete(asyncio.sleep(0))  # (the hub hands messages to this loop)
    assert sub.queue.get_nowait().startswith(b"event: resync")  # open pages reload the view
    events_loop.close()


def test_item_changes_are_valid_events() -> None:
    view = build(seed_events())
    hub = ViewHub()
    hub.replace(view)
    for item_id in list(view._items)[:10]:
        item = view.item(item_id)
        assert item is not None
        env = item_changed_envelope(
            Change(item_id, item["section"], "created", item), 15, "2026-05-18T08:00:00Z", "urn:t"
        )
        check_event(env.to_dict())
        again = item_changed_envelope(
            Change(item_id, item["section"], "created", item), 16, "2026-05-18T09:00:00Z", "urn:t"
        )
        assert again.id == env.id  # the same content has the same id: consumers can drop it
