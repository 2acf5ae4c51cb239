"""The live page in real Chromium (Debian's package, driven by Playwright): it shows the upcoming
call, and an article published while the page is open appears without a reload; on a large view it
shows each section's first items and more on demand."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from consumers.projector.service import Projector, build
from newswire import events
from newswire.bus import Publisher, ensure_topics, make_producer
from newswire.events import Envelope
from newswire.settings import Settings
from newswire.topics import ARTICLES, CLAIMS, ENTITIES
from tests.conftest import ROOT, wait_until
from tests.unit.projector_support import seed_events

pytestmark = [pytest.mark.browser, pytest.mark.broker]

CHROMIUM = shutil.which("chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "artifacts"
ROLE = {events.ARTICLE_INGESTED: ARTICLES, events.ENTITIES_EXTRACTED: ENTITIES, events.CLAIMS_EXTRACTED: CLAIMS}


def publish(settings: Settings, evts: list[Envelope]) -> None:
    pub = Publisher(make_producer(settings, "test"), settings)
    try:
        for env in evts:
            pub.publish(ROLE[env.type], env)
        pub.flush(10)
    finally:
        pub.close()


@pytest.fixture
def projector(settings: Settings) -> Iterator[Projector]:
    ensure_topics(settings)
    proj = build(replace(settings, http_port=0), checkpoint_interval_s=0.5)
    proj.thread.start()
    threading.Thread(target=proj.serve, daemon=True).start()
    wait_until(lambda: proj.server.started and not proj.hub.restoring, 10, what="http server, view restored")
    yield proj
    proj.stop()


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium package (apt-get install -y chromium)")
def test_page_shows_the_talks_and_updates_live(settings: Settings, projector: Projector) -> None:
    from playwright.sync_api import expect, sync_playwright

    evts = list(seed_events())
    first, last = evts[:12], evts[12:]  # four seeds now, the fifth while the page is open
    publish(settings, first)
    wait_until(lambda: projector.hub.view.applied == 12, 30, what="four seeds applied")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.goto(projector.url)
            call = page.locator("#section-upcoming .item", has_text="Call: Donald Trump – Vladimir Putin")
            expect(call).to_be_visible(timeout=15_000)
            expect(call.locator(".meta")).to_have_text("4 sources")
            expect(page.locator("#live")).to_have_text("live", timeout=15_000)
            page.evaluate("window.__noReload = 'still here'")
            # expand the item: its sources with the sentence highlighted
            call.locator(".row").click()
            expect(call.locator(".details mark").first).to_be_visible()
            assert page.locator("#ceasefire").inner_text() == "Ceasefire: not agreed"

            publish(settings, last)  # a new article (+ its entities and claims) while the page is open
            expect(call.locator(".meta")).to_have_text("5 sources", timeout=20_000)
            story = page.locator("#section-stories .item").first
            expect(story.locator(".meta")).to_have_text("5 articles · 5 outlets", timeout=20_000)
            assert page.evaluate("window.__noReload") == "still here"  # updated without a reload
            page.screenshot(path=str(ARTIFACTS / "projector-live.png"), full_page=True)
        finally:
            browser.close()
    assert (ARTIFACTS / "projector-live.png").stat().st_size > 10_000
    assert Path(ARTIFACTS / "projector-live.png").exists()


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium package (apt-get install -y chromium)")
def test_a_large_view_shows_each_sections_first_items_and_more_on_demand() -> None:
    import uvicorn
    from playwright.sync_api import expect, sync_playwright

    from consumers.projector.http import create_app
    from consumers.projector.runtime import ViewHub
    from consumers.projector.synthetic import claim_stream
    from consumers.projector.view import build as build_view
    from newswire.broker import free_port
    from newswire.metrics import new_registry

    hub = ViewHub()
    hub.replace(build_view(claim_stream(400, articles=120)))
    total = hub.view.section_sizes()["violence"]
    assert total > 70  # more than the page shows at first, and after one "show more"
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(hub, new_registry("t")), port=port, log_level="warning"))
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    try:
        wait_until(lambda: server.started, 10, what="http server")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            try:
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{port}/")
                violence = page.locator("#section-violence")
                expect(violence.locator(".item")).to_have_count(20, timeout=15_000)
                expect(violence.locator("h2")).to_contain_text(str(total))
                violence.locator("button.more").click()
                expect(violence.locator(".item")).to_have_count(70, timeout=15_000)
            finally:
                browser.close()
    finally:
        server.should_exit = True
        serving.join(10)
