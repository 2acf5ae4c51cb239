"""Per-feed health metrics, labelled only by the configured feed names (a closed set).

A feed name is a label only if it is in the feeds file; anything else (which would be a bug) is
counted under ``_unknown_`` so that a label can never come from a URL or from feed content.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge

from ingestor.feeds.fetch import REASONS

UNKNOWN = "_unknown_"
POLL_OUTCOMES = ("ok", "not_modified", "error", "malformed", "partial")
EXTRACTION_OUTCOMES = ("ok", "fallback", "failed")
#: Error reasons: the fetcher's, plus what happens after a successful fetch.
ERROR_REASONS = (*REASONS, "feed_malformed", "not_feed", "internal")


@dataclass
class FeedMetrics:
    names: frozenset[str]
    polls: Counter
    not_modified: Counter
    errors: Counter
    entries: Counter
    last_success: Gauge
    published: Counter
    deduplicated: Counter
    extraction: Counter
    deadletters: Counter
    failing: Gauge
    bozo: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry, names: Iterable[str]) -> FeedMetrics:
        m = cls(
            names=frozenset(names),
            polls=Counter(
                "newswire_feed_polls_total", "Feed polls by outcome.", ["feed", "outcome"], registry=registry
            ),
            not_modified=Counter(
                "newswire_feed_not_modified_total", "Polls answered 304 Not Modified.", ["feed"], registry=registry
            ),
            errors=Counter(
                "newswire_feed_errors_total",
                "Failed feed polls and failed page fetches, by reason.",
                ["feed", "reason"],
                registry=registry,
            ),
            entries=Counter(
                "newswire_feed_entries_total", "New or changed feed entries seen.", ["feed"], registry=registry
            ),
            last_success=Gauge(
                "newswire_feed_last_success_timestamp_seconds",
                "Unix time of the feed's last successful poll (200 or 304).",
                ["feed"],
                registry=registry,
            ),
            published=Counter(
                "newswire_articles_published_total",
                "Article events acknowledged by the broker, by the feed that brought them.",
                ["feed"],
                registry=registry,
            ),
            deduplicated=Counter(
                "newswire_feed_deduplicated_total",
                "Entries not published again: their article was already published (same text).",
                ["feed"],
                registry=registry,
            ),
            extraction=Counter(
                "newswire_extraction_total",
                "Article text outcomes: page ok, feed fallback, failed.",
                ["outcome"],
                registry=registry,
            ),
            deadletters=Counter(
                "newswire_ingest_deadletters_total",
                "Dead letters sent by the ingestor, by reason.",
                ["reason"],
                registry=registry,
            ),
            failing=Gauge(
                "newswire_feed_consecutive_failures",
                "Consecutive failed polls of a feed (0 when healthy).",
                ["feed"],
                registry=registry,
            ),
            bozo=Counter(
                "newswire_feed_bozo_total",
                "Polls whose document feedparser flagged as ill-formed.",
                ["feed"],
                registry=registry,
            ),
        )
        for name in m.names:  # export zeros from the start: absent series hide dead feeds
            for outcome in POLL_OUTCOMES:
                m.polls.labels(feed=name, outcome=outcome)
            m.not_modified.labels(feed=name)
            m.entries.labels(feed=name)
            m.published.labels(feed=name)
            m.deduplicated.labels(feed=name)
            m.failing.labels(feed=name).set(0)
        for outcome in EXTRACTION_OUTCOMES:
            m.extraction.labels(outcome=outcome)
        return m

    def feed(self, name: str) -> str:
        return name if name in self.names else UNKNOWN

    def reason(self, reason: str) -> str:
        return reason if reason in ERROR_REASONS else "internal"
