"""Replay throughput (events/s) against a plain kafka-python producer sending the same payloads.

    python -m bench.replay [--events 5000] [--repeats 3]

Both sides use the same producer settings (acks=all, idempotence) on the same embedded broker in
the same run; the figure that matters is the ratio (target ≥ 0.8).
"""

from __future__ import annotations

import argparse
import io
import statistics
import uuid
from dataclasses import replace
from pathlib import Path

from bench.common import median_rate, peak_rss_mb, report
from ingestor.replay import build_events, collect_files, replay
from newswire import events
from newswire.broker import start_broker
from newswire.bus import ensure_topics, make_producer
from newswire.settings import Settings
from newswire.topics import ARTICLES, topic_name

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    files = collect_files([SEEDS])
    loops = max(args.events // len(files), 1)
    with start_broker() as broker:
        base = replace(Settings(), kafka_bootstrap=broker.bootstrap, log_format="text")

        def fresh() -> Settings:
            s = replace(base, topic_prefix=f"b{uuid.uuid4().hex[:6]}.")
            ensure_topics(s)
            return s

        payloads = [
            (e.subject.encode(), events.encode(e), e.headers())
            for e in build_events(files, base, loops=loops)
            if isinstance(e, events.Envelope)
        ]

        def plain() -> int:
            s = fresh()
            producer = make_producer(s, "bench-plain")
            topic = topic_name(ARTICLES, s.topic_prefix)
            futures = [producer.send(topic, key=k, value=v, headers=h) for k, v, h in payloads]
            producer.flush()
            for f in futures:
                f.get(timeout=0)
            producer.close()
            return len(payloads)

        def ours() -> int:
            s = fresh()
            out = replay(files, s, loops=loops, out=io.StringIO())
            return len(out.published)

        plain()  # warm-up: connections, topic metadata
        plain_all: list[float] = []
        ours_all: list[float] = []
        for _ in range(args.repeats):  # interleaved, so drift on a noisy machine hits both sides
            plain_all += median_rate(plain, 1)[1]
            ours_all += median_rate(ours, 1)[1]
        plain_rate, ours_rate = statistics.median(plain_all), statistics.median(ours_all)
    report(
        f"replay of {len(payloads)} events ({loops} loops over {len(files)} seeds), median of {args.repeats}",
        {
            "plain kafka-python producer (events/s)": plain_rate,
            "newswire replay (events/s)": ours_rate,
            "ratio replay / plain (target >= 0.8)": ours_rate / plain_rate,
            "plain runs": ", ".join(f"{r:.0f}" for r in plain_all),
            "replay runs": ", ".join(f"{r:.0f}" for r in ours_all),
            "peak RSS (MB)": peak_rss_mb(),
        },
    )


if __name__ == "__main__":
    main()
