"""Soak: the whole pipeline at a steady rate for minutes (``python -m bench.soak --minutes 10``).

Starts the embedded broker, both enrichers and the projector as processes, replays ``seeds/`` with
``--loop`` (a new id space per loop) at ``--rate`` articles/s, and prints:

* acknowledged article ids vs projected article ids (from the projector's checkpoint);
* end-to-end latency per article, acknowledgement → both enriched events readable, and
  acknowledgement → both applied in the view (checkpoint polled; resolution ± poll + checkpoint);
* RSS and open file descriptors of every process, sampled after the warm-up (both series printed).

Duration: ``--minutes``, else ``NEWSWIRE_SOAK_MINUTES``, else 10 when ``CI=true`` and 2 locally.
Figures go to ``bench/RESULTS.md`` (see :mod:`bench.results`).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.results import record
from tests.faults.harness import (
    PROJECTOR_STOPPED,
    Replayer,
    Rig,
    TopicTail,
    checkpointed,
    proc_fds,
    proc_rss_kb,
    view_outcomes,
)

#: Articles per second: a tenth of what the NLP stages sustain on 2 cores, so that a soak measures
#: what stays behind over time (memory, descriptors), not a backlog; 10 minutes make 300 articles.
RATE = 0.5


def default_minutes() -> float:
    env = os.environ.get("NEWSWIRE_SOAK_MINUTES")
    if env:
        return float(env)
    return 10.0 if os.environ.get("CI", "").lower() == "true" else 2.0


@dataclass
class Series:
    """One process's samples after the warm-up: (seconds since start, RSS MB, open fds)."""

    samples: list[tuple[float, float, int]] = field(default_factory=list)

    def rss_growth_mb(self) -> float:
        return self.samples[-1][1] - self.samples[0][1] if len(self.samples) > 1 else 0.0

    def fd_growth(self) -> int:
        return self.samples[-1][2] - self.samples[0][2] if len(self.samples) > 1 else 0

    def rss_slope_mb_per_min(self) -> float:
        if len(self.samples) < 3:
            return 0.0
        xs = [s[0] / 60 for s in self.samples]
        ys = [s[1] for s in self.samples]
        mx, my = statistics.fmean(xs), statistics.fmean(ys)
        den = sum((x - mx) ** 2 for x in xs)
        return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


@dataclass
class SoakResult:
    minutes: float
    rate: float
    acked: set[str]
    projected: set[str]
    enriched_latency_s: list[float]
    view_latency_s: list[float]
    series: dict[str, Series]
    restarts: int
    applied: int
    distinct: int
    state_records: int = 0
    state_bytes: int = 0
    state_max_bytes: int = 0

    @property
    def missing(self) -> set[str]:
        return self.acked - self.projected

    @property
    def extra(self) -> set[str]:
        return self.projected - self.acked


def pct(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def run(minutes: float, rate: float, sample_s: float, warmup_s: float, workdir: Path) -> SoakResult:
    with Rig(workdir) as rig:
        rig.ensure_topics()
        procs = [rig.stage("entities").start(), rig.stage("claims").start()]
        proj, _port = rig.projector(checkpoint_s=1.0)
        procs.append(proj.start())
        loops = max(1, math.ceil(minutes * 60 * rate / 5) + 1)
        rep = Replayer(rig.settings, loops=loops, rate=rate).start()
        tails = {r: TopicTail(rig.settings, r, f"soak-{r}") for r in ("entities", "claims")}
        seen: dict[str, dict[str, float]] = {"entities": {}, "claims": {}}
        in_view: dict[str, float] = {}
        series = {p.name: Series() for p in procs}
        assert rig.broker is not None
        series["broker"] = Series()
        pids = {p.name: p.pid for p in procs} | {"broker": rig.broker.process.pid}
        started = time.monotonic()
        wall_started = time.time()
        end = started + minutes * 60
        next_sample = started + warmup_s
        next_view = started
        data_dir = Path(proj.env["NEWSWIRE_DATA_DIR"])
        try:
            while time.monotonic() < end:
                for role, t in tails.items():
                    before = len(t.decoded)
                    t.poll(timeout_ms=100)
                    now = time.time()
                    for d in t.decoded[before:]:
                        if d is not None:
                            seen[role].setdefault(str(d.get("subject")), now)
                now_m = time.monotonic()
                if now_m >= next_view:
                    arts, ents, claims, _d, _a = view_outcomes(data_dir)
                    now = time.time()
                    for aid in arts & set(ents) & set(claims):
                        in_view.setdefault(aid, now)
                    next_view = now_m + 2.0
                if now_m >= next_sample:
                    for name, pid in pids.items():
                        series[name].samples.append((now_m - started, proc_rss_kb(pid) / 1024, proc_fds(pid)))
                    next_sample = now_m + sample_s
                    print(
                        f"  t={now_m - started:5.0f}s acked={len(rep.oracle)} "
                        f"enriched={min(len(seen['entities']), len(seen['claims']))} in_view={len(in_view)}",
                        flush=True,
                    )
                rig.check_alive()
            rep.stop()
            acked_at = dict(rep.oracle.acked_at)
            n = len(acked_at)
            _arts, _e, _c, distinct, applied = checkpointed(proj, 3 * n, 600)
            arts, ents, claims, distinct, applied = view_outcomes(data_dir)
            now = time.time()
            for aid in arts & set(ents) & set(claims):
                in_view.setdefault(aid, now)
            for role, t in tails.items():
                t.drain(idle_s=2)
                for d in t.decoded:
                    if d is not None:
                        seen[role].setdefault(str(d.get("subject")), now)
            state = TopicTail(rig.settings, "state", "soak-state")
            try:
                state.drain(idle_s=2, timeout_s=300)
                sizes = [len(r.value or b"") for r in state.records]
            finally:
                state.close()
        finally:
            rep.stop()
            for t in tails.values():
                t.close()
        restarts = sum(p.starts - 1 for p in procs)
        for p in procs[:2]:
            assert p.stop() == 0, p.tail()
        assert proj.stop() in PROJECTOR_STOPPED, proj.tail()
    steady = {a: t for a, t in acked_at.items() if t >= wall_started + warmup_s}  # latency after warm-up
    enriched = [
        max(seen["entities"][a], seen["claims"][a]) - t
        for a, t in steady.items()
        if a in seen["entities"] and a in seen["claims"]
    ]
    view = [in_view[a] - t for a, t in steady.items() if a in in_view]
    return SoakResult(
        minutes,
        rate,
        set(acked_at),
        set(arts),
        enriched,
        view,
        series,
        restarts,
        applied,
        distinct,
        len(sizes),
        sum(sizes),
        max(sizes, default=0),
    )


def report(res: SoakResult, warmup_s: float) -> None:
    print("\nRSS (MB) and open fds after warm-up, per process:")
    for name, s in res.series.items():
        cells = "  ".join(f"{t:.0f}s:{rss:.0f}MB/{fds}fd" for t, rss, fds in s.samples)
        print(f"  {name:9} {cells}")
    mem = "; ".join(
        f"{k} {s.samples[0][1]:.0f}->{s.samples[-1][1]:.0f} MB ({s.rss_slope_mb_per_min():+.2f} MB/min), "
        f"fds {s.samples[0][2]}->{s.samples[-1][2]}"
        for k, s in res.series.items()
        if s.samples
    )
    e, v = res.enriched_latency_s, res.view_latency_s
    record(
        "soak",
        f"{res.minutes:g} min at {res.rate:g} articles/s: {len(res.acked)} acked, {len(res.projected)} projected, "
        f"{len(res.missing)} missing, {len(res.extra)} extra, view applied {res.applied} = distinct {res.distinct}; "
        f"{res.restarts} restarts; latency (articles acked after warm-up) "
        f"ack->enriched p50 {pct(e, 50):.2f} s p99 {pct(e, 99):.2f} s, "
        f"ack->in view p50 {pct(v, 50):.1f} s p99 {pct(v, 99):.1f} s (view polled every 2 s, checkpoint 1 s); "
        f"after {warmup_s:.0f} s warm-up: {mem}; talks.state topic {res.state_records} records, "
        f"{res.state_bytes / 1e6:.0f} MB, largest {res.state_max_bytes / 1e3:.0f} kB",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=None, help="duration (default: NEWSWIRE_SOAK_MINUTES/CI)")
    parser.add_argument("--rate", type=float, default=RATE, help=f"articles per second (default {RATE})")
    parser.add_argument("--sample-s", type=float, default=None, help="seconds between RSS/fd samples")
    parser.add_argument("--warmup-s", type=float, default=None, help="seconds before sampling (default 20%%)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    minutes = args.minutes if args.minutes is not None else default_minutes()
    warmup = args.warmup_s if args.warmup_s is not None else min(120.0, minutes * 60 * 0.2)
    sample = args.sample_s if args.sample_s is not None else max(5.0, (minutes * 60 - warmup) / 20)
    with tempfile.TemporaryDirectory(prefix="newswire-soak-") as tmp:
        res = run(minutes, args.rate, sample, warmup, Path(tmp))
    report(res, warmup)
    return 0 if not res.missing and not res.extra else 1


if __name__ == "__main__":
    raise SystemExit(main())
