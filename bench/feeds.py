"""Feed ingestion benchmark: ``/tmp/venv/bin/python -m bench.feeds [--rounds N] [--feeds N]``.

1. feeds parsed/s: the ingestor's ``parse_feed`` (entity bound + typed entries) against bare
   ``feedparser.parse(BytesIO)`` on the 61 corpus feeds, same run, median of N rounds;
2. pages extracted/s: the ingestor's ``ExtractorPool`` (one worker process: IPC, time and memory
   bounds) against bare in-process ``trafilatura.extract`` with the same options, on the 31 corpus pages;
3. polling N (default 1,000) feeds on a local HTTP server through the whole daemon (``--once``, a real
   embedded broker, acks awaited, state persisted), then again (all 304): wall time and peak RSS.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import feedparser
import trafilatura

from ingestor.feeds.config import FeedConfig, IngestConfig, IngestOptions
from ingestor.feeds.daemon import Ingestor, build_fetcher
from ingestor.feeds.extract import ExtractorPool
from ingestor.feeds.metrics import FeedMetrics
from ingestor.feeds.parse import parse_feed
from ingestor.feeds.state import State, default_path
from newswire.broker import start_broker
from newswire.bus import Publisher, Shutdown, ensure_topics, make_producer
from newswire.metrics import new_registry
from newswire.settings import Settings
from tests.integration.ingest_server import FEEDS_DIR, PAGES_DIR, LocalServer, corpus_headers, corpus_index


def _rate(fn: Callable[[], int], rounds: int) -> tuple[float, list[float]]:
    rates = []
    for _ in range(rounds):
        t = time.perf_counter()
        n = fn()
        rates.append(n / (time.perf_counter() - t))
    return statistics.median(rates), rates


def bench_parse(rounds: int) -> float:
    inputs = []
    for row in corpus_index():
        headers = corpus_headers(row)
        headers.setdefault("content-type", "application/xml")
        inputs.append(((FEEDS_DIR / row["file"]).read_bytes(), headers))

    def bare() -> int:
        for data, headers in inputs:
            feedparser.parse(io.BytesIO(data), response_headers=headers)
        return len(inputs)

    def ours() -> int:
        for data, headers in inputs:
            parse_feed(data, headers)
        return len(inputs)

    bare()
    ours()  # warm caches and imports
    # interleave so that machine noise hits both sides alike
    b_rates, o_rates = [], []
    for _ in range(rounds):
        b_rates.append(_rate(bare, 1)[0])
        o_rates.append(_rate(ours, 1)[0])
    b, o = statistics.median(b_rates), statistics.median(o_rates)
    print(
        f"feeds parsed/s ({len(inputs)} corpus feeds, median of {rounds}): "
        f"bare feedparser {b:,.0f}/s, ingestor parse_feed {o:,.0f}/s, ratio {o / b:.2f}"
    )
    return o / b


def bench_extract(rounds: int) -> float:
    pages = json.loads((PAGES_DIR / "expectations.json").read_text(encoding="utf-8"))
    inputs = [((PAGES_DIR / p["file"]).read_bytes(), p["url"]) for p in pages]
    pool = ExtractorPool(size=1, timeout_s=60, include_comments=True).start()

    def bare() -> int:
        for html, url in inputs:
            trafilatura.extract(
                html,
                url=url,
                with_metadata=True,
                include_comments=True,
                include_tables=True,
                include_formatting=False,
                include_links=False,
            )
        return len(inputs)

    def ours() -> int:
        for html, url in inputs:
            pool.extract(html, url)
        return len(inputs)

    try:
        bare()
        ours()
        b_rates, o_rates = [], []
        for _ in range(rounds):
            b_rates.append(_rate(bare, 1)[0])
            o_rates.append(_rate(ours, 1)[0])
    finally:
        pool.close()
    b, o = statistics.median(b_rates), statistics.median(o_rates)
    print(
        f"pages extracted/s ({len(inputs)} corpus pages, median of {rounds}): bare trafilatura.extract "
        f"{b:,.1f}/s, ingestor ExtractorPool(1 worker) {o:,.1f}/s, ratio {o / b:.2f}"
    )
    return o / b


def bench_poll(n_feeds: int) -> None:
    broker = start_broker()
    try:
        with LocalServer() as server, tempfile.TemporaryDirectory() as tmp:
            settings = replace(
                Settings(),
                kafka_bootstrap=broker.bootstrap,
                topic_prefix=f"bench{uuid.uuid4().hex[:6]}.",
                data_dir=tmp,
                allow_private_networks=True,
                log_level="WARNING",
            )
            ensure_topics(settings)
            feeds = tuple(
                FeedConfig(f"bulk-{i}", server.url(f"/bulk/{i}.xml"), 900, fetch_pages=False) for i in range(n_feeds)
            )
            config = IngestConfig(feeds, IngestOptions(workers=16, per_host=16, extract_workers=1))
            for label in ("first poll", "second poll (304s)"):
                registry = new_registry("bench")
                publisher = Publisher(make_producer(settings, "bench"), settings)
                state = State(default_path(Path(tmp)))
                pool = ExtractorPool(size=1)  # not started: fetch_pages=false needs no extraction
                ing = Ingestor(
                    settings,
                    config,
                    publisher,
                    state,
                    FeedMetrics.create(registry, config.names),
                    Shutdown(),
                    build_fetcher(settings, config),
                    pool,
                )
                t = time.perf_counter()
                stats = ing.run(once=True)
                wall = time.perf_counter() - t
                publisher.close()
                state.close()
                rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                print(
                    f"polling {n_feeds:,} feeds on a local server, {label}: wall {wall:.1f}s "
                    f"({n_feeds / wall:,.0f} feeds/s), published {stats.published:,}, 304s {stats.not_modified:,}, "
                    f"errors {stats.errors}; peak RSS {rss_mb:,.0f} MB (this process, incl. server and bench)"
                )
    finally:
        broker.stop()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--feeds", type=int, default=1000)
    args = ap.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.ERROR)
    r1 = bench_parse(args.rounds)
    r2 = bench_extract(max(args.rounds // 2, 1) + 1)
    bench_poll(args.feeds)
    verdict = "OK" if min(r1, r2) >= 0.8 else "BELOW 0.8"
    print(f"ratios vs bare libraries: parse {r1:.2f}, extract {r2:.2f} (target >= 0.8): {verdict}")


if __name__ == "__main__":
    main()
