"""Claims stage throughput: the service's batch handler against bare ``nlp.pipe`` on the same texts.

``python -m bench.claims [--copies N] [--repeats R] [--batch B]``

Both sides get the same article bodies (the seeds, replayed ``--copies`` times) in batches of the
stage's poll size. The handler side does everything the stage does per batch except Kafka I/O:
decode the article record, bound the text, parse (``nlp.pipe`` plus lemmas), canonicalize the
entities, run the quote/count/event rules, build and encode the derived events. Prints medians,
the ratio service/bare (target ≥ 0.8), and the cost of odd input: one oversized body (cut at
``--max-chars``, outcome ``truncated``) and one body of unbalanced quote marks, numbers and times in endless repetition.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bench.common import peak_rss_mb, report
from consumers.claims import extract
from consumers.claims.service import make_handler
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
            out.append(replace(parsed, published="2025-05-18T12:00:00Z"))
    return out


def timed(fn: Callable[[], None], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.claims", description=__doc__)
    parser.add_argument("--copies", type=int, default=10, help="times the seed set is repeated")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=16, help="articles per poll batch (stage default 16)")
    parser.add_argument("--max-chars", type=int, default=extract.MAX_CHARS)
    args = parser.parse_args(argv)

    nlp = load_model()
    articles = seed_articles() * args.copies
    now = datetime(2025, 5, 18, tzinfo=UTC)
    envelopes: list[Envelope] = [a.envelope("urn:bench", now) for a in articles]
    records = [events.encode(e) for e in envelopes]
    texts = [a.body for a in articles]
    words = sum(len(t.split()) for t in texts)
    batches = [range(i, min(i + args.batch, len(texts))) for i in range(0, len(texts), args.batch)]
    handler = make_handler(nlp, None, "urn:bench", batch_size=args.batch, max_chars=args.max_chars)

    def bare() -> None:
        for b in batches:
            for _doc in nlp.pipe([texts[i] for i in b], batch_size=args.batch):
                pass

    claims_out = [0]

    def service() -> None:
        n = 0
        for b in batches:
            batch = [events.decode(records[i]) for i in b]
            for outs in handler(batch):
                for out in outs:
                    events.encode(out.envelope)
                    n += len(out.envelope.data["claims"])
        claims_out[0] = n

    service()  # warm-up: lexicon, alias data, first-call costs
    bare_times: list[float] = []
    service_times: list[float] = []
    for _ in range(args.repeats):  # interleaved so that drift hits both sides alike
        bare_times += timed(bare, 1)
        service_times += timed(service, 1)
    b, s = statistics.median(bare_times), statistics.median(service_times)

    # odd input: an oversized body and a body of nothing but quote marks and numbers
    big = replace(articles[0], article_id="art-big", body=(articles[0].body + "\n") * 200)
    odd_unit = 'He said “1,000” and the "2" of them were at 10:00 for a 30-day “truce” “ '
    odd = replace(articles[0], article_id="art-odd", body=odd_unit * 2000)
    odd_times = {}
    for name, article in (("oversized", big), ("odd", odd)):
        env = events.decode(events.encode(article.envelope("urn:bench", now)))
        t0 = time.perf_counter()
        outs = handler([env])
        odd_times[name] = (time.perf_counter() - t0, outs[0][0].envelope.data["outcome"]["status"], len(article.body))

    report(
        f"claims: {len(texts)} articles, {words} words, batches of {args.batch}, {args.repeats} repeats",
        {
            "bare nlp.pipe articles/s (median)": len(texts) / b,
            "service handler articles/s (median)": len(texts) / s,
            "service handler words/s (median)": words / s,
            "ratio service/bare (target >= 0.8)": b / s,
            "per-article overhead ms": (s - b) / len(texts) * 1000,
            "claims per article": claims_out[0] / len(texts),
            **{f"{name} body ({size} chars, {status}) s": secs for name, (secs, status, size) in odd_times.items()},
            "peak RSS MB": peak_rss_mb(),
        },
    )


if __name__ == "__main__":
    main()
