"""The ingest daemon against the real broker and a local HTTP server.

Published once across feeds, canonical URLs after redirects, syndicated copies marked, a changed
text is a new revision, unchanged feeds cost a 304, and a SIGTERM mid-run followed by a restart
neither duplicates nor loses an article.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ingestor.feeds.canonical import canonicalize
from ingestor.feeds.config import FeedConfig, IngestConfig, IngestOptions
from ingestor.feeds.daemon import Ingestor, build_fetcher
from ingestor.feeds.extract import ExtractorPool
from ingestor.feeds.metrics import FeedMetrics
from ingestor.feeds.state import State, default_path
from newswire import ids
from newswire.bus import Publisher, Shutdown, ensure_topics, make_producer
from newswire.metrics import new_registry
from newswire.schema_registry import validate_event
from newswire.settings import Settings
from newswire.topics import ARTICLES, DEADLETTER
from tests.conftest import ROOT, wait_until
from tests.integration.ingest_server import LocalServer, rss
from tests.integration.kafka_helpers import read_all

pytestmark = pytest.mark.broker

PAGES = ["theverge.com.ios13.html", "dw.com.uncork.html", "heise.de.lithium.html", "github.blog.spiceland.html"]


@pytest.fixture(scope="module")
def extractor() -> Iterator[ExtractorPool]:
    pool = ExtractorPool(size=2, timeout_s=30).start()
    yield pool
    pool.close()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


@pytest.fixture
def lsettings(settings: Settings) -> Settings:
    s = replace(settings, allow_private_networks=True)
    ensure_topics(s)
    return s


@contextmanager
def running(settings: Settings, config: IngestConfig, extractor: ExtractorPool) -> Iterator[tuple[Ingestor, Any]]:
    registry = new_registry("ingestor-test")
    metrics = FeedMetrics.create(registry, config.names)
    publisher = Publisher(make_producer(settings, "ingestor-test"), settings)
    state = State(default_path(settings.data_path))
    ing = Ingestor(settings, config, publisher, state, metrics, Shutdown(), build_fetcher(settings, config), extractor)
    try:
        yield ing, registry
    finally:
        publisher.close()
        state.close()


def articles(settings: Settings, at_least: int) -> list[dict[str, Any]]:
    return [validate_event(r.value) for r in read_all(settings, ARTICLES, expect_at_least=at_least, timeout_s=30)]


def two_feeds(server: LocalServer) -> IngestConfig:
    u = server.url
    alpha = server.set_feed(
        "alpha",
        rss(
            "Alpha Wire",
            [
                ("a0", u(f"/corpus/pages/{PAGES[0]}"), "Verge"),
                ("a1", u(f"/corpus/pages/{PAGES[1]}"), "DW"),
                ("a2", u(f"/corpus/pages/{PAGES[2]}"), "Heise"),
                ("a3", u("/missing-page"), "Gone page, teaser only"),
            ],
        ),
    )
    beta = server.set_feed(
        "beta",
        rss(
            "Beta News",
            [
                # the same article as alpha's a1, with tracking parameters and a fragment
                ("b0", u(f"/corpus/pages/{PAGES[1]}?utm_source=beta&utm_medium=rss#comments"), "DW again"),
                # a syndicated copy of alpha's a2 under another URL
                ("b1", u(f"/copy/{PAGES[2]}"), "Heise syndicated"),
                # a redirect to a page with tracking parameters
                ("b2", u(f"/moved/{PAGES[3]}"), "GitHub moved"),
            ],
        ),
    )
    return IngestConfig(
        (FeedConfig("alpha", alpha, 60, ("wire",)), FeedConfig("beta", beta, 60)),
        IngestOptions(workers=2, per_host=4, request_deadline_s=10),
    )


def test_once_publishes_each_article_once_with_canonical_ids(
    lsettings: Settings, server: LocalServer, extractor: ExtractorPool
) -> None:
    config = two_feeds(server)
    with running(lsettings, config, extractor) as (ing, registry):
        stats = ing.run(once=True)
        dedup_metric = sum(
            registry.get_sample_value("newswire_feed_deduplicated_total", {"feed": f}) or 0.0 for f in config.names
        )
    evs = articles(lsettings, 6)
    print(f"\npublished={stats.published} deduplicated={stats.deduplicated} events={len(evs)}")
    by_url = {e["data"]["url"]: e for e in evs}
    assert len(evs) == len({e["id"] for e in evs}) == 6, [e["data"]["url"] for e in evs]
    dw = canonicalize(server.url(f"/corpus/pages/{PAGES[1]}"))
    assert dw in by_url and by_url[dw]["subject"] == ids.article_id_for_url(dw)
    moved = canonicalize(server.url(f"/corpus/pages/{PAGES[3]}"))
    assert moved in by_url, "redirect followed and tracking parameters dropped"
    assert by_url[moved]["data"]["extraction"]["outcome"] == "ok"
    # the copy and the original: exactly one points at the other
    orig = by_url[canonicalize(server.url(f"/corpus/pages/{PAGES[2]}"))]
    copy = by_url[canonicalize(server.url(f"/copy/{PAGES[2]}"))]
    pair = {orig["data"]["duplicate_of"], copy["data"]["duplicate_of"]}
    assert pair == {None, orig["subject"]} or pair == {None, copy["subject"]}
    gone = by_url[canonicalize(server.url("/missing-page"))]
    assert gone["data"]["extraction"] == {"outcome": "fallback", "reason": "fetch:http_status"}
    assert "teaser" in gone["data"]["body"]
    verge = by_url[canonicalize(server.url(f"/corpus/pages/{PAGES[0]}"))]
    assert "Normally, video calls tend to" in verge["data"]["body"]
    assert verge["data"]["outlet"] and verge["data"]["origin"] == {
        "kind": "feed",
        "feed": "alpha",
        "path": None,
        "entry_id": "a0",
        "loop": 0,
    }
    assert "wire" in verge["data"]["tags"]
    # seven entries, six articles: the DW page in both feeds is counted once as a duplicate,
    # whichever poll got to it first (in one batch, or after the other feed's poll was committed)
    assert (stats.published, stats.deduplicated, dedup_metric) == (6, 1, 1.0)


def test_an_article_published_by_an_earlier_feed_poll_is_counted_as_deduplicated(
    lsettings: Settings, server: LocalServer, extractor: ExtractorPool
) -> None:
    both = two_feeds(server)
    for feed, published, deduplicated in ((both.feeds[0], 4, 0), (both.feeds[1], 2, 1)):
        config = replace(both, feeds=(feed,))
        with running(lsettings, config, extractor) as (ing, registry):
            stats = ing.run(once=True)
            metric = registry.get_sample_value("newswire_feed_deduplicated_total", {"feed": feed.name})
        assert (stats.published, stats.deduplicated, metric) == (published, deduplicated, float(deduplicated))
    assert len({e["data"]["url"] for e in articles(lsettings, 6)}) == 6


def test_unchanged_feed_is_a_304_and_changed_text_is_a_new_revision(
    lsettings: Settings, server: LocalServer, extractor: ExtractorPool
) -> None:
    page = server.set_page("story.html", _page("Ceasefire talks resume", "The first version of the story. " * 30))
    feed = server.set_feed("gamma", rss("Gamma", [("g0", page, "Ceasefire talks resume")]))
    config = IngestConfig((FeedConfig("gamma", feed, 60),), IngestOptions(workers=1))
    with running(lsettings, config, extractor) as (ing, _):
        first = ing.run(once=True)
    with running(lsettings, config, extractor) as (ing, registry):
        second = ing.run(once=True)
        assert registry.get_sample_value("newswire_feed_not_modified_total", {"feed": "gamma"}) == 1.0
    assert (first.published, second.published, second.not_modified) == (1, 0, 1)
    assert server.state.not_modified["/gen/gamma.xml"] == 1
    print(f"\nsecond poll: {server.state.not_modified['/gen/gamma.xml']} x 304, published {second.published}")
    # the page text changes and the entry says it was updated
    server.set_page("story.html", _page("Ceasefire talks resume", "A corrected version of the story. " * 30))
    server.set_feed("gamma", rss("Gamma", [("g0", page, "Ceasefire talks resume (updated)")]))
    with running(lsettings, config, extractor) as (ing, _):
        third = ing.run(once=True)
    evs = articles(lsettings, 2)
    assert third.published == 1 and len(evs) == 2
    assert evs[0]["subject"] == evs[1]["subject"] and evs[0]["data"]["revision"] != evs[1]["data"]["revision"]


def _page(title: str, text: str) -> str:
    return (
        f"<html><head><title>{title}</title><meta property='og:site_name' content='Gamma Times'></head>"
        f"<body><article><h1>{title}</h1><p>{text}</p><p>{text}</p></article></body></html>"
    )


def test_bad_inputs_are_dead_lettered_and_the_rest_goes_through(
    lsettings: Settings, server: LocalServer, extractor: ExtractorPool
) -> None:
    good = server.set_feed("good", rss("Good", [("x0", server.url(f"/corpus/pages/{PAGES[0]}"), "ok")]))
    broken = server.url("/hostile/not-a-feed.xml")
    nolink = server.set_feed(
        "empty",
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>E</title>'
        b"<item><guid>e0</guid><link>" + server.url("/missing").encode() + b"</link></item></channel></rss>",
    )
    config = IngestConfig(
        (FeedConfig("good", good, 60), FeedConfig("broken", broken, 60), FeedConfig("empty", nolink, 60)),
        IngestOptions(workers=3),
    )
    with running(lsettings, config, extractor) as (ing, registry):
        stats = ing.run(once=True)
        errors = registry.get_sample_value("newswire_feed_errors_total", {"feed": "broken", "reason": "feed_malformed"})
    dead = [validate_event(r.value) for r in read_all(lsettings, DEADLETTER, expect_at_least=2)]
    reasons = sorted(d["data"]["reason"] for d in dead)
    print(f"\npublished={stats.published} deadletters={reasons} feed_malformed errors={errors}")
    assert stats.published == 1 and len(articles(lsettings, 1)) == 1
    assert reasons == ["feed_malformed", "fetch_failed"]
    assert errors == 1.0


# ------------------------------------------------------------------------------------------------
# restart


def _env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(settings.as_env())
    env["NEWSWIRE_LOG_FORMAT"] = "json"
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _metrics(port: int) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as resp:
            return str(resp.read().decode())
    except OSError:
        return ""


def _stop_and_restart(
    lsettings: Settings, server: LocalServer, tmp_path: Path, sig: signal.Signals
) -> tuple[int, list[dict[str, Any]], set[str], list[str]]:
    """Run the daemon on 4 feeds × 4 slow pages (+1 shared article each), stop it with ``sig``
    once a few articles are out, restart with --once, then once more (all 304)."""
    pages = sorted(p.name for p in (ROOT / ".." / "shared" / "corpus" / "pages").glob("*.html"))[:16]
    feeds = []
    for k in range(4):
        items = [(f"f{k}-{i}", server.url(f"/corpus/pages/{name}"), name) for i, name in enumerate(pages) if i % 4 == k]
        # every feed also carries an article of the next feed (the same article in two feeds)
        extra = pages[((k + 1) % 4)]
        items.append((f"f{k}-x", server.url(f"/corpus/pages/{extra}?utm_campaign=x"), extra))
        feeds.append(server.set_feed(f"feed{k}", rss(f"Feed {k}", items)))
    server.state.page_delay_s = 1.0  # slow pages, so that the signal lands mid-run
    toml = "".join(f'[[feeds]]\nname = "feed{k}"\nurl = "{u}"\ninterval = 2\n\n' for k, u in enumerate(feeds))
    feeds_file = tmp_path / "feeds.toml"
    # per_host = 1: four feeds polled in parallel, yet one request at a time to the (single) host
    feeds_file.write_text("[ingest]\nworkers = 4\nper_host = 1\nextract_workers = 1\npublish_every = 2\n\n" + toml)
    cmd = [sys.executable, "-m", "newswire", "ingest", "--feeds", str(feeds_file)]
    port = _free_port()
    env = {**_env(lsettings), "NEWSWIRE_METRICS_PORT": str(port)}

    daemon = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: len(read_all(lsettings, ARTICLES, timeout_s=2)) >= 3, timeout=90, what="first articles")
        scraped = wait_until(lambda: _metrics(port), timeout=10, what="metrics endpoint")
    finally:
        daemon.send_signal(sig)
        _out, err = daemon.communicate(timeout=60)
    assert 'newswire_feed_polls_total{feed="feed0",outcome="ok"}' in scraped
    assert "newswire_extraction_total" in scraped and "http" not in scraped.split("feed=")[-1][:40]
    if sig == signal.SIGTERM:
        assert daemon.returncode == 0, err[-2000:]
    before = len({r.value for r in read_all(lsettings, ARTICLES, timeout_s=3)})
    assert before < len(pages), "the signal should land mid-run"
    assert server.state.max_in_flight == 1, "per-host concurrency limit"

    server.state.page_delay_s = 0.0
    with subprocess.Popen(
        [*cmd, "--once"],
        env=env | {"NEWSWIRE_METRICS_PORT": "0"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as p2:
        out2, err2 = p2.communicate(timeout=180)
    assert p2.returncode == 0, err2[-2000:]
    evs = articles(lsettings, len(pages))
    expected = {canonicalize(server.url(f"/corpus/pages/{n}")) for n in pages}
    print(
        f"\n{sig.name} after {before} of {len(pages)} articles; after restart: {len(evs)} events, "
        f"{len({e['id'] for e in evs})} distinct ids, {len({e['data']['url'] for e in evs})} urls; {out2.strip()}"
    )

    # a third run: every feed answers 304
    before_304 = sum(server.state.not_modified.values())
    third = subprocess.run(
        [*cmd, "--once"], env=env | {"NEWSWIRE_METRICS_PORT": "0"}, capture_output=True, text=True, timeout=120
    )
    assert third.returncode == 0, third.stderr[-2000:]
    assert sum(server.state.not_modified.values()) - before_304 == 4, third.stdout
    assert "published=0" in third.stdout
    return before, evs, expected, [out2, third.stdout]


@pytest.mark.slow
def test_sigterm_mid_run_then_restart_loses_and_duplicates_nothing(
    lsettings: Settings, server: LocalServer, tmp_path: Path
) -> None:
    _before, evs, expected, _ = _stop_and_restart(lsettings, server, tmp_path, signal.SIGTERM)
    urls = [e["data"]["url"] for e in evs]
    assert len(evs) == len({e["id"] for e in evs}), "an article was published twice"
    assert len(urls) == len(set(urls)) and set(urls) == expected, f"missing: {expected - set(urls)}"


@pytest.mark.slow
def test_sigkill_mid_run_republishes_rather_than_loses(
    lsettings: Settings, server: LocalServer, tmp_path: Path
) -> None:
    """A crash between the broker's ack and the state write re-publishes the *same* event ids
    (dropped by every consumer); it never loses an article or mints a second id for one."""
    _before, evs, expected, _ = _stop_and_restart(lsettings, server, tmp_path, signal.SIGKILL)
    ids_per_url: dict[str, set[str]] = {}
    for e in evs:
        ids_per_url.setdefault(e["data"]["url"], set()).add(e["id"])
    assert set(ids_per_url) == expected, f"missing: {expected - set(ids_per_url)}"
    assert all(len(v) == 1 for v in ids_per_url.values()), "one event id per article"
