"""Hostile servers. Each test prints a figure (time, bytes, memory, hits) for the report.

The "public internet" is a server on 127.0.0.2, admitted by one extra allowed address; a "secret"
server on 127.0.0.1 (and ::1) stands for everything private. The private-range check stays on,
so nothing may ever reach the secret server: its hit counter must stay at zero.
"""

from __future__ import annotations

import ipaddress
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import replace

import pytest

from ingestor.feeds.config import FeedConfig, IngestConfig, IngestOptions
from ingestor.feeds.daemon import Ingestor
from ingestor.feeds.extract import ExtractFailure, ExtractorPool, PageText
from ingestor.feeds.fetch import AddressPolicy, Fetcher, FetchError, FetchLimits, HostLimiter, IPAddress
from ingestor.feeds.metrics import FeedMetrics
from ingestor.feeds.parse import parse_feed
from ingestor.feeds.state import State, default_path
from newswire.bus import Publisher, Shutdown, ensure_topics, make_producer
from newswire.metrics import new_registry
from newswire.schema_registry import validate_event
from newswire.settings import Settings
from newswire.topics import ARTICLES
from tests.integration.ingest_server import LocalServer, _State, rss
from tests.integration.kafka_helpers import read_all

PUBLIC = ipaddress.ip_address("127.0.0.2")


@pytest.fixture(scope="module")
def secret() -> Iterator[LocalServer]:
    with LocalServer("127.0.0.1") as srv:
        yield srv


@pytest.fixture(scope="module")
def public(secret: LocalServer) -> Iterator[LocalServer]:
    state = _State(secret_url=secret.url("/secret"))
    with LocalServer("127.0.0.2", state=state) as srv:
        yield srv


class Contacts:
    def __init__(self) -> None:
        self.seen: list[tuple[str, IPAddress, int]] = []

    def __call__(self, host: str, ip: IPAddress, port: int) -> None:
        self.seen.append((host, ip, port))

    @property
    def non_public(self) -> list[tuple[str, IPAddress, int]]:
        return [c for c in self.seen if c[1] != PUBLIC]


@pytest.fixture
def contacts() -> Contacts:
    return Contacts()


@pytest.fixture
def fetcher(contacts: Contacts) -> Fetcher:
    return Fetcher(
        policy=AddressPolicy(allow_private=False, extra_allowed=frozenset({PUBLIC})),
        limits=FetchLimits(deadline_s=3.0, max_body_bytes=4 * 1024 * 1024, max_decoded_bytes=8 * 1024 * 1024),
        on_connect=contacts,
    )


def _fail(fetcher: Fetcher, url: str) -> tuple[FetchError, float]:
    t = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetcher.get(url)
    return info.value, time.monotonic() - t


def test_billion_laughs_is_not_expanded(public: LocalServer, fetcher: Fetcher) -> None:
    body = fetcher.get(public.url("/hostile/laughs.xml")).body
    tracemalloc.start()
    t = time.monotonic()
    feed = parse_feed(body)
    elapsed = time.monotonic() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(
        f"\nbillion laughs ({len(body)} B, 10^9 'lol' if expanded): {elapsed * 1000:.1f} ms, "
        f"peak {peak / 1e6:.1f} MB, title {len(feed.title)} chars, bozo={feed.bozo}, entries={len(feed.entries)}"
    )
    assert len(feed.title) < 1000 and peak < 50e6
    assert len(feed.entries) == 1  # the rest of the feed still parses


def test_quadratic_blowup_is_bounded(public: LocalServer, fetcher: Fetcher) -> None:
    body = fetcher.get(public.url("/hostile/quadratic.xml")).body
    tracemalloc.start()
    t = time.monotonic()
    feed = parse_feed(body)
    elapsed = time.monotonic() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(
        f"\nquadratic blowup ({len(body) / 1e3:.0f} kB, 2 GB if expanded): {elapsed * 1000:.0f} ms, "
        f"peak {peak / 1e6:.1f} MB, stripped={feed.entities_stripped}, reason={feed.bozo_reason!r:.60}"
    )
    assert feed.entities_stripped and feed.bozo
    assert peak < 200e6 and len(feed.entries) == 1


def test_external_entities_are_never_resolved(public: LocalServer, secret: LocalServer, fetcher: Fetcher) -> None:
    before = secret.hits()
    feed = parse_feed(fetcher.get(public.url("/hostile/xxe.xml")).body)
    text = feed.title + " ".join(e.title + e.summary_html for e in feed.entries)
    print(f"\nexternal entities: secret server hits {secret.hits() - before}, /etc/passwd leaked: {'root:' in text}")
    assert "root:" not in text
    assert secret.hits() == before


def test_gzip_bomb_stops_at_the_decoded_cap(public: LocalServer, fetcher: Fetcher) -> None:
    err, elapsed = _fail(fetcher, public.url("/hostile/gzip-bomb.xml"))
    wire = len(public.state.bomb or b"")
    print(
        f"\ngzip bomb: {wire / 1e3:.0f} kB on the wire = 256 MB decoded; stopped at the "
        f"{fetcher.limits.max_decoded_bytes / 1e6:.0f} MB cap in {elapsed:.2f}s ({err.reason})"
    )
    assert err.reason == "too_large"


def test_endless_body_and_declared_huge_body(public: LocalServer, fetcher: Fetcher) -> None:
    err, elapsed = _fail(fetcher, public.url("/hostile/endless.xml"))
    err2, elapsed2 = _fail(fetcher, public.url("/hostile/huge.xml"))
    print(
        f"\nendless body: {err.reason} after {elapsed:.2f}s (cap {fetcher.limits.max_body_bytes / 1e6:.0f} MB); "
        f"Content-Length 10 GB: {err2.reason} in {elapsed2 * 1000:.1f} ms, before reading"
    )
    assert err.reason == "too_large" and err2.reason == "too_large"


def test_trickle_hits_the_total_deadline(public: LocalServer, fetcher: Fetcher) -> None:
    err, elapsed = _fail(fetcher, public.url("/hostile/trickle.xml"))
    err2, elapsed2 = _fail(fetcher, public.url("/hostile/trickle-headers.xml"))
    print(
        f"\n1 byte/s trickle: body {err.reason} after {elapsed:.2f}s, headers {err2.reason} after "
        f"{elapsed2:.2f}s (deadline {fetcher.limits.deadline_s}s; a socket timeout alone never fires)"
    )
    assert err.reason == err2.reason == "deadline"
    assert elapsed < fetcher.limits.deadline_s + 1.5 and elapsed2 < fetcher.limits.deadline_s + 1.5


def test_redirect_loop_is_cut(public: LocalServer, fetcher: Fetcher) -> None:
    before = public.hits("/hostile/loop-")
    err, elapsed = _fail(fetcher, public.url("/hostile/loop-a"))
    hops = public.hits("/hostile/loop-") - before
    print(f"\nredirect loop: {err.reason} after {hops} requests in {elapsed * 1000:.0f} ms")
    assert err.reason == "too_many_redirects" and hops == 6


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/hostile/to-loopback", "blocked_address"),
        ("/hostile/to-metadata", "blocked_address"),
        ("/hostile/to-file", "bad_scheme"),
    ],
)
def test_redirects_to_private_targets_are_refused(
    path: str, reason: str, public: LocalServer, secret: LocalServer, fetcher: Fetcher, contacts: Contacts
) -> None:
    before = secret.hits()
    err, _ = _fail(fetcher, public.url(path))
    print(f"\nredirect {path}: {err.reason}; connections to non-public addresses: {len(contacts.non_public)}")
    assert err.reason == reason
    assert secret.hits() == before and not contacts.non_public


def test_every_private_spelling_is_refused_before_connecting(secret: LocalServer, contacts: Contacts) -> None:
    fetcher = Fetcher(policy=AddressPolicy(allow_private=False), on_connect=contacts)
    port = secret.port
    hosts = [
        "127.0.0.1",
        "127.1",
        "2130706433",
        "0x7f.1",
        "0x7f000001",
        "0177.0.0.1",
        "127.000.000.001",
        "localhost",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "[0:0:0:0:0:0:0:1]",
        "0.0.0.0",
        "0",
        "[::]",
        "169.254.169.254",
        "[fe80::1]",
        "100.64.0.1",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "[fd00::1]",
        "[fc00::1]",
        "224.0.0.1",
        "[ff02::1]",
        "255.255.255.255",
        "192.0.0.1",
        "198.18.0.1",
        "[64:ff9b::7f00:1]",
        "[2002:7f00:1::]",
    ]
    before = secret.hits()
    refused = {}
    for h in hosts:
        err, _ = _fail(fetcher, f"http://{h}:{port}/secret")
        refused[h] = err.reason
    print(
        f"\nprivate spellings: {sum(r == 'blocked_address' for r in refused.values())}/{len(hosts)} refused "
        f"before connecting; connections made: {len(contacts.seen)}; secret hits: {secret.hits() - before}"
    )
    assert all(r == "blocked_address" for r in refused.values()), refused
    assert not contacts.seen and secret.hits() == before
    # the switch works: the same spelling is fetched when private networks are allowed
    allowed = Fetcher(policy=AddressPolicy(allow_private=True))
    assert allowed.get(f"http://127.1:{port}/secret").body == b"secret"


def test_hostile_page_extraction_is_bounded(public: LocalServer, fetcher: Fetcher) -> None:
    pool = ExtractorPool(size=1, timeout_s=0.5, max_memory_bytes=512 * 1024 * 1024).start()
    try:
        assert isinstance(
            pool.extract(b"<html><body><p>warm up " + b"word " * 50 + b"</p></body></html>", None),
            PageText | ExtractFailure,
        )
        deep = fetcher.get(public.url("/hostile/deep.html")).body
        t = time.monotonic()
        out_deep = pool.extract(deep, None)
        deep_s = time.monotonic() - t
        big = b"<html><body>" + b"<p>" + b"word " * 1_500_000 + b"</p>" * 1 + b"</body></html>"
        t = time.monotonic()
        out_big = pool.extract(big, None)
        big_s = time.monotonic() - t
        restarts = pool.restarts
        pool.timeout_s = 30
        after = pool.extract(
            b"<html><body><article><p>" + b"Normal sentence here. " * 20 + b"</p></article></body></html>", None
        )
    finally:
        pool.close()
    print(
        f"\nhostile pages: 200k-deep nesting -> {getattr(out_deep, 'reason', 'ok')} in {deep_s:.2f}s; "
        f"7.5 MB single paragraph -> {getattr(out_big, 'reason', 'ok')} in {big_s:.2f}s; "
        f"worker restarts {restarts}; next page -> {type(after).__name__}"
    )
    assert deep_s < 5 and big_s < 5
    assert isinstance(after, PageText)


@pytest.mark.broker
def test_daemon_keeps_serving_healthy_feeds_next_to_hostile_ones(
    settings: Settings, public: LocalServer, secret: LocalServer, contacts: Contacts
) -> None:
    ensure_topics(settings)
    healthy_page = public.url("/corpus/pages/theverge.com.ios13.html")
    feeds = [FeedConfig("healthy", public.set_feed("healthy", rss("Healthy", [("h0", healthy_page, "Verge")])), 60)]
    for i, path in enumerate(
        [
            "trickle.xml",
            "trickle-headers.xml",
            "endless.xml",
            "gzip-bomb.xml",
            "laughs.xml",
            "quadratic.xml",
            "xxe.xml",
            "loop-a",
            "to-loopback",
            "to-file",
            "to-metadata",
            "status-503",
            "not-a-feed.xml",
        ]
    ):
        feeds.append(FeedConfig(f"hostile-{i}", public.url(f"/hostile/{path}"), 60))
    secret_port = secret.port
    for i, host in enumerate(["127.1", "2130706433", "0x7f.1", "[::1]", "169.254.169.254", "100.64.0.1", "[fd00::1]"]):
        feeds.append(FeedConfig(f"private-{i}", f"http://{host}:{secret_port}/secret", 60))
    # a feed whose entries point at private addresses: the pages must not be fetched either
    sneaky = rss(
        "Sneaky",
        [
            ("s0", f"http://127.1:{secret_port}/secret", "internal"),
            ("s1", "http://169.254.169.254/latest/meta-data/", "metadata"),
        ],
    )
    feeds.append(FeedConfig("sneaky", public.set_feed("sneaky", sneaky), 60))
    config = IngestConfig(tuple(feeds), IngestOptions(workers=6, request_deadline_s=3.0))
    fetcher = Fetcher(
        policy=AddressPolicy(allow_private=False, extra_allowed=frozenset({PUBLIC})),
        limits=FetchLimits(deadline_s=3.0),
        limiter=HostLimiter(8),
        on_connect=contacts,
    )
    registry = new_registry("ingestor-hostile")
    metrics = FeedMetrics.create(registry, config.names)
    publisher = Publisher(make_producer(settings, "ingestor-hostile"), settings)
    state = State(default_path(settings.data_path))
    pool = ExtractorPool(size=1, timeout_s=20).start()
    before = secret.hits()
    t = time.monotonic()
    try:
        ing = Ingestor(replace(settings), config, publisher, state, metrics, Shutdown(), fetcher, pool)
        stats = ing.run(once=True)
        wall = time.monotonic() - t
        polls = {f.name: f for f in state.feeds()}
    finally:
        pool.close()
        publisher.close()
        state.close()
    published = read_all(settings, ARTICLES, expect_at_least=3)
    errors: dict[str, float] = {}
    for metric in registry.collect():
        if metric.name == "newswire_feed_errors":
            for s in metric.samples:
                if s.name.endswith("_total"):
                    errors[s.labels["reason"]] = errors.get(s.labels["reason"], 0) + s.value
    first_healthy = polls["healthy"].last_poll or 0
    slowest = max(p.last_poll or 0 for p in polls.values())
    print(
        f"\n{len(feeds)} feeds ({len(feeds) - 2} hostile) polled once in {wall:.1f}s; healthy done "
        f"{slowest - first_healthy:.1f}s before the slowest hostile one; published {stats.published} "
        f"(sneaky entries fall back to feed text); errors by reason {errors}; secret hits {secret.hits() - before}; "
        f"non-public connections {len(contacts.non_public)}"
    )
    assert secret.hits() == before and not contacts.non_public
    assert polls["healthy"].last_outcome == "ok" and polls["sneaky"].last_outcome == "ok"
    assert first_healthy < slowest - 1.0, "the healthy feed was served while hostile ones stalled"
    by_feed: dict[str, list[dict[str, object]]] = {}
    for r in published:
        data = validate_event(r.value)["data"]
        by_feed.setdefault(data["origin"]["feed"], []).append(data)
    print(f"articles by feed: { {k: len(v) for k, v in by_feed.items()} }")
    assert by_feed["healthy"][0]["extraction"] == {"outcome": "ok", "reason": None}
    # the sneaky entries are published from their feed text; their pages were never fetched
    assert (
        sorted(str(d["extraction"]) for d in by_feed["sneaky"])
        == [str({"outcome": "fallback", "reason": "fetch:blocked_address"})] * 2
    )
    assert errors.get("blocked_address", 0) >= 8 and errors.get("deadline", 0) >= 2


def test_page_extraction_memory_is_capped() -> None:
    """300,000 nested blocks (8 MB) under a 300 MB address-space cap: the worker's allocation
    fails inside the parser, the page is reported, and the same worker serves the next page."""
    pool = ExtractorPool(size=1, timeout_s=60, max_memory_bytes=300 * 1024 * 1024).start()
    try:
        page = b"<html><body>" + b"<div><p>word word</p></div>" * 300_000 + b"</body></html>"
        t = time.monotonic()
        out = pool.extract(page, None)
        elapsed = time.monotonic() - t
        after = pool.extract(
            b"<html><body><article><p>" + b"Normal sentence here. " * 20 + b"</p></article></body></html>", None
        )
    finally:
        pool.close()
    print(
        f"\n{len(page) / 1e6:.1f} MB page of 300k blocks, 300 MB cap: {getattr(out, 'reason', 'extracted')} "
        f"({getattr(out, 'detail', '')[:50]}) in {elapsed:.1f}s; worker restarts {pool.restarts}; "
        f"next page -> {type(after).__name__}"
    )
    assert isinstance(after, PageText)
