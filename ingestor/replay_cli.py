"""``newswire replay PATH...`` — the seed/test stream producer."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ingestor.replay import collect_files, progress_logger, replay
from newswire.bus import Shutdown, ensure_topics
from newswire.settings import Settings


def register(sub: Any) -> None:
    p = sub.add_parser(
        "replay",
        help="publish article text files (e.g. seeds/) as newswire.article.ingested events",
        description=(
            "Each text file becomes one newswire.article.ingested event on newswire.articles.v1. "
            "Title, outlet and body are derived from the file (page debris such as 'Advertisement' "
            "or 'Leave a Reply' and what follows is dropped); outlet, URL and publication time come "
            "from an optional manifest.json beside the files, else the file name and time. Empty, "
            "binary or undecodable files are rejected with a reason and the rest go through. "
            "Replaying the same files again yields the same event ids."
        ),
    )
    p.add_argument("paths", nargs="+", type=Path, help="text files, or directories of *.txt files")
    p.add_argument("--rate", type=float, default=0.0, help="events per second (default: as fast as acked)")
    p.add_argument(
        "--loop",
        type=int,
        default=1,
        metavar="N",
        help="replay N times; loop k>0 is a new id space (ids derived from text + loop number), "
        "so a soak run of N loops publishes N distinct articles per file",
    )
    p.add_argument("--shuffle", action="store_true", help="shuffle the order within each loop")
    p.add_argument("--seed", type=int, default=0, help="random seed for --shuffle")
    p.add_argument("--dry-run", action="store_true", help="print the events as JSON lines; publish nothing")
    p.add_argument("--no-create-topics", action="store_true", help="do not create missing topics first")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    files = collect_files(args.paths)
    if not files:
        print("newswire replay: no files found", file=sys.stderr)
        return 2
    shutdown = Shutdown().install()
    if not args.dry_run and not args.no_create_topics:
        ensure_topics(settings)
    report = replay(
        files,
        settings,
        rate=args.rate,
        loops=max(args.loop, 1),
        shuffle=args.shuffle,
        seed=args.seed,
        dry_run=args.dry_run,
        shutdown=shutdown,
        on_ack=progress_logger(len(files) * max(args.loop, 1)),
    )
    print(report.summary(), file=sys.stderr if args.dry_run else sys.stdout, flush=True)
    return 0 if report.published or not files else 1
