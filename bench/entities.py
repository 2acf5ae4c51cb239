"""Entities stage throughput: the service's batch handler against bare ``nlp.pipe`` on the same texts.

``python -m bench.entities [--copies N] [--repeats R] [--batch B]``

Both sides get the same article bodies (the seeds, replayed ``--copies`` times) in batches of the
stage's poll size. The handler side does everything the stage does per batch except Kafka I/O:
decode the article record, prepare (bounds, markup, language), ``nlp.pipe``, canonicalize, build
and encode the derived events. Prints the medians, the ratio (target ≥ 0.85, i.e. our overhead
≤ 15 %) and the process's peak RSS. The ratio is the median over adjacent (bare, service) pairs, in wall
time and in CPU time (the latter is steadier on a shared machine).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.common import peak_rss_mb, report
from consumers.entities.service import make_handler
from consumers.nlp.model import load_model
from ingestor.seeds import Debris, SeedMeta, parse_article_text
from newswire import events
from newswire.events import Envelope
from newswire.records import ArticleIngested

ROOT = Path(__file__).resolve().parents[1]


def seed_articles() -> list[ArticleIngested]:
    out = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        parsed = parse_article_text(path.name, path.read_text(encoding="utf-8"), SeedMeta(), Debris.load())
        if isinstance(parsed, ArticleIngested):
            out.append(parsed)
    return out


def timed(fn: Callable[[], None]) -> tuple[float, float]:
    """Wall and CPU seconds of one call (CPU time is what other processes on the box disturb least)."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.entities", description=__doc__)
    parser.add_argument("--copies", type=int, default=10, help="times the seed set is repeated")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=16, help="articles per poll batch (stage default 16)")
    args = parser.parse_args(argv)

    nlp = load_model()
    articles = seed_articles() * args.copies
    now = datetime(2025, 5, 18, tzinfo=UTC)
    envelopes: list[Envelope] = [a.envelope("urn:bench", now) for a in articles]
    records = [events.encode(e) for e in envelopes]
    texts = [a.body for a in articles]
    words = sum(len(t.split()) for t in texts)
    batches = [range(i, min(i + args.batch, len(texts))) for i in range(0, len(texts), args.batch)]
    handler = make_handler(nlp, None, "urn:bench", batch_size=args.batch)

    def bare() -> None:
        for b in batches:
            for _doc in nlp.pipe([texts[i] for i in b], batch_size=args.batch):
                pass

    def service() -> None:
        for b in batches:
            batch = [events.decode(records[i]) for i in b]
            for outs in handler(batch):
                for out in outs:
                    events.encode(out.envelope)

    service()  # warm-up: alias data, regexes, first-call costs
    bare_runs: list[tuple[float, float]] = []
    service_runs: list[tuple[float, float]] = []
    for _ in range(args.repeats):  # interleaved pairs, so that load on the box hits both sides alike
        bare_runs.append(timed(bare))
        service_runs.append(timed(service))
    b = statistics.median(w for w, _c in bare_runs)
    s = statistics.median(w for w, _c in service_runs)
    pair_ratio = statistics.median(bw / sw for (bw, _b), (sw, _s) in zip(bare_runs, service_runs, strict=True))
    cpu_ratio = statistics.median(bc / sc for (_b, bc), (_s, sc) in zip(bare_runs, service_runs, strict=True))
    report(
        f"entities: {len(texts)} articles, {words} words, batches of {args.batch}, {args.repeats} repeats",
        {
            "bare nlp.pipe articles/s (median)": len(texts) / b,
            "bare nlp.pipe words/s (median)": words / b,
            "service handler articles/s (median)": len(texts) / s,
            "service handler words/s (median)": words / s,
            "ratio service/bare, wall (target >= 0.85)": pair_ratio,
            "ratio service/bare, CPU time": cpu_ratio,
            "per-article overhead ms (wall)": (s - b) / len(texts) * 1000,
            "peak RSS MB": peak_rss_mb(),
            "pipes": ",".join(nlp.pipe_names),
        },
    )


if __name__ == "__main__":
    main()
