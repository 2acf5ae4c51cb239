"""``newswire ingest --feeds FILE`` (the feed daemon) and ``newswire feeds import|status``."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingestor.feeds.config import ConfigError, IngestConfig, dump_toml, opml_feeds, parse_config
from ingestor.feeds.state import FeedState, State, default_path
from newswire import logs
from newswire.bus import Publisher, Shutdown, StageFatal, ensure_topics, make_producer, with_broker_retry
from newswire.metrics import new_registry, serve
from newswire.settings import Settings

log = logging.getLogger(__name__)


def register(sub: Any) -> None:
    p = sub.add_parser(
        "ingest",
        help="poll RSS/Atom feeds, extract article pages, publish newswire.article.ingested events",
        description=(
            "Follow the feeds listed in a TOML file ([[feeds]] tables with name, url, optional interval "
            "in seconds, tags and fetch_pages). Each new or changed entry's page is fetched and its main "
            "text extracted (falling back to the feed's own content); each article is published once to "
            "newswire.articles.v1. State (ETags, seen entries, backoff) lives in NEWSWIRE_DATA_DIR and "
            "survives restarts. Private, loopback and link-local addresses are refused unless "
            "NEWSWIRE_ALLOW_PRIVATE_NETWORKS=true. Metrics on NEWSWIRE_METRICS_PORT."
        ),
    )
    p.add_argument("--feeds", type=Path, required=True, help="TOML feeds file (see deploy/feeds.example.toml)")
    p.add_argument("--once", action="store_true", help="poll every feed once, publish, and exit (cron, tests)")
    p.add_argument("--no-create-topics", action="store_true", help="do not create missing topics first")
    p.set_defaults(func=cmd_ingest)

    f = sub.add_parser("feeds", help="manage the feed list: import OPML, show feed health")
    fsub = f.add_subparsers(dest="feeds_command", required=True)
    imp = fsub.add_parser(
        "import",
        help="convert an OPML subscription list (what feed readers export) to a feeds TOML file",
        description="Every outline with an xmlUrl becomes a [[feeds]] table; folder names become tags.",
    )
    imp.add_argument("opml", type=Path)
    imp.add_argument("-o", "--output", type=Path, help="write here instead of stdout (refuses to overwrite)")
    imp.add_argument("--interval", type=int, default=900, help="poll interval in seconds (default 900)")
    imp.set_defaults(func=cmd_import)
    st = fsub.add_parser(
        "status",
        help="print each feed's health (last poll, outcome, failures, next poll) from the state file",
    )
    st.add_argument("--feeds", type=Path, help="also list configured feeds that were never polled")
    st.set_defaults(func=cmd_status)


def _load(path: Path) -> IngestConfig:
    try:
        return parse_config(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from ingestor.feeds.daemon import Ingestor, build_fetcher
    from ingestor.feeds.extract import ExtractorPool
    from ingestor.feeds.metrics import FeedMetrics

    try:
        config = _load(args.feeds)
    except ConfigError as exc:
        print(f"newswire ingest: {args.feeds}: {exc}", file=sys.stderr)
        return 2
    if not config.feeds:
        print(f"newswire ingest: {args.feeds}: no [[feeds]]", file=sys.stderr)
        return 2
    shutdown = Shutdown().install()
    registry = new_registry("ingestor")
    metrics = FeedMetrics.create(registry, config.names)
    port = serve(registry, settings.http_host, settings.metrics_port)
    if not args.no_create_topics:
        ensure_topics(settings)
    producer = with_broker_retry(
        lambda: make_producer(settings, "ingestor"), settings, "ingestor producer", shutdown=shutdown
    )
    publisher = Publisher(producer, settings)
    state = State(default_path(settings.data_path))
    o = config.options
    extractor = ExtractorPool(
        size=o.extract_workers, timeout_s=o.extract_timeout_s, include_comments=o.include_comments
    ).start()
    log.info(
        "ingest starting",
        extra=logs.fields(feeds=len(config.feeds), once=args.once, metrics_port=port, state=str(state.path)),
    )
    try:
        ingestor = Ingestor(
            settings, config, publisher, state, metrics, shutdown, build_fetcher(settings, config), extractor
        )
        stats = ingestor.run(once=args.once)
    except StageFatal as exc:
        # Nothing unacknowledged was remembered: a restart re-publishes it (same ids).
        log.error("broker did not acknowledge; stopping", extra=logs.fields(error=str(exc)[:300]))
        return 1
    finally:
        extractor.close()
        publisher.close()
        state.close()
    print(
        f"ingest: polls={stats.polls} published={stats.published} deduplicated={stats.deduplicated} "
        f"not_modified={stats.not_modified} errors={stats.errors} deadletters={stats.deadletters}",
        flush=True,
    )
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    try:
        feeds = opml_feeds(args.opml.read_bytes(), default_interval_s=args.interval)
    except (OSError, ConfigError) as exc:
        print(f"newswire feeds import: {args.opml}: {exc}", file=sys.stderr)
        return 2
    text = dump_toml(feeds)
    if args.output:
        if args.output.exists():
            print(f"newswire feeds import: {args.output} exists; not overwriting", file=sys.stderr)
            return 2
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {len(feeds)} feeds to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _ago(ts: float | None, now: float) -> str:
    if ts is None:
        return "-"
    d = now - ts
    sign = "" if d >= 0 else "in "
    d = abs(d)
    text = f"{d:.0f}s" if d < 120 else f"{d / 60:.0f}m" if d < 7200 else f"{d / 3600:.1f}h"
    return f"{sign}{text}" + (" ago" if sign == "" else "")


def status_table(rows: list[FeedState], now: float, failing_after: int = 5) -> str:
    """The ``feeds status`` table (pure: rows and clock in, text out)."""
    header = (
        "FEED",
        "HEALTH",
        "LAST POLL",
        "OUTCOME",
        "LAST SUCCESS",
        "FAILS",
        "NEXT POLL",
        "POLLS",
        "304s",
        "ENTRIES",
        "PUBLISHED",
        "ERROR",
    )
    lines: list[tuple[str, ...]] = [header]
    for r in rows:
        if r.polls == 0:
            health = "new"
        elif r.failures >= failing_after:
            health = "FAILING"
        elif r.failures:
            health = "retrying"
        else:
            health = "ok"
        lines.append(
            (
                r.name,
                health,
                _ago(r.last_poll, now),
                r.last_outcome or "-",
                _ago(r.last_success, now),
                str(r.failures),
                _ago(r.next_poll, now),
                str(r.polls),
                str(r.not_modified),
                str(r.entries_total),
                str(r.published_total),
                (r.last_error or "")[:60],
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines)


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    path = default_path(settings.data_path)
    if not path.exists() and not args.feeds:
        print(f"newswire feeds status: no state at {path} (NEWSWIRE_DATA_DIR); nothing polled yet", file=sys.stderr)
        return 1
    state = State(path)
    try:
        rows = {r.name: r for r in state.feeds()}
    finally:
        state.close()
    if args.feeds:
        try:
            config = _load(args.feeds)
        except ConfigError as exc:
            print(f"newswire feeds status: {args.feeds}: {exc}", file=sys.stderr)
            return 2
        for f in config.feeds:
            rows.setdefault(f.name, FeedState(f.name, f.url))
    print(status_table(sorted(rows.values(), key=lambda r: r.name), time.time()))
    print(f"# state: {path} at {datetime.now(UTC).isoformat(timespec='seconds')}")
    return 0
