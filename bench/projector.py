"""Projector figures: apply rate, rebuild time, end-to-end latency (``python -m bench.projector``).

1. **apply**: synthetic claims events (``consumers.projector.synthetic.claim_stream``, four claims
   each) decoded and applied to a :class:`TalksView` in 500-event batches (the Kafka loop's
   catch-up poll), refreshed as the loop does while catching up (paced: at most a quarter of the
   time, with the collector paused, :mod:`consumers.projector.pacing`) and once at the end,
   against a bare loop that only decodes the same bytes, at growing stream sizes (a flat rate
   across sizes = linear cost). Two rates: the **fold** (decode + apply, the time the loop spends
   outside refreshes: how fast the view takes events in) and the **catch-up** (everything,
   refreshes included: how fast a projector that is behind gets to a view it can show). The
   pure core runs compiled when built (:mod:`newswire.compiled`); the last figure says whether.
2. **live**: on the view each stream left, one more claims event at a time, each applied and
   refreshed as the caught-up loop does: what a refresh costs on a large view. The ratio of the
   largest view to the smallest shows whether it follows what changed or the size of the view.
   Then **reads**: what the page asks at each change (``/api/summary``, a section page) against
   sorting the largest section whole (what each read cost before the sections were kept ranked).
   Then **checkpoint**: a store's first write of that view (every row), the whole view as one
   blob (what every checkpoint cost before the store wrote rows), and a checkpoint after each of
   ``CHECKPOINT_EVENTS`` more events (only the rows that changed): ms and kB; then a **restart**
   from that checkpoint (load, restore, build the items) and the restarted process's first
   checkpoint (what changed since, not every row again).
3. **story**: one story of the talks that keeps growing (rewrites of one wire text and one cast,
   ``synthetic.story_flood``): one more article and its entities, each applied and refreshed, on
   a view whose story holds 1,000 and 8,000 articles. The ratio shows whether an article costs
   what it changes or the size of its story.
4. **window**: a stream four times as long as the view window, events a minute apart: the memory the
   view holds with the window against without (``NEWSWIRE_VIEW_WINDOW_DAYS``), and what a refresh
   costs each hour once the window moves (it forgets an hour, takes in the next); claims events,
   then the articles of one story with their entities (the story index forgets too).
5. **rebuild**: the same events on the embedded broker; a projector started with ``--rebuild``
   (in-process, the service's own wiring) until it has applied them all.
6. **latency**: the real stages as processes (entities, claims, projector) and the seeds replayed
   with ``--loop`` at a steady 3 articles/s; for each article, acknowledgement → the view shows
   items it supports (``/api/articles/{id}``, the article's provenance, polled every 50 ms).
   Target p99 ≤ 2 s.

``--events``, ``--story-articles``, ``--window-events``, ``--seconds`` and ``--rate`` scale it;
``--skip-latency`` leaves out the last.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import threading
import time
import tracemalloc
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import orjson

from bench.common import peak_rss_mb, report
from consumers.projector import service
from consumers.projector.pacing import CatchUpCollector, Pacer, settle_heap, tune_gc
from consumers.projector.ranking import rank_key
from consumers.projector.runtime import CATCH_UP_BATCH, REFRESH_SHARE
from consumers.projector.store import CheckpointStore
from consumers.projector.synthetic import claim_stream, story_flood
from consumers.projector.view import TalksView
from consumers.projector.window import ViewWindow
from newswire import compiled, events
from newswire.broker import start_broker
from newswire.bus import Publisher, ensure_topics, make_producer
from newswire.settings import Settings
from newswire.topics import CLAIMS

#: Events of the live measurement, after each stream.
LIVE_EVENTS = 200
#: Events after those, each followed by a checkpoint.
CHECKPOINT_EVENTS = 20


@dataclass(frozen=True)
class Rates:
    """What :func:`apply_rate` measured (events/s)."""

    bare: float  # decode only
    fold: float  # decode + apply, within the loop below (the time it spent outside refreshes)
    loop: float  # decode + apply + paced refreshes + the final refresh: the catch-up as a whole
    refreshes: int
    items: int


def apply_rate(payloads: list[bytes]) -> tuple[Rates, TalksView]:
    """The rates, and the view the loop left."""
    tune_gc()  # as the projector service does
    t0 = time.perf_counter()
    for raw in payloads:
        events.decode(raw)
    bare = len(payloads) / (time.perf_counter() - t0)
    view = TalksView()
    pacer = Pacer(share=REFRESH_SHARE)
    collector = CatchUpCollector()  # as the projector loop does while behind
    refreshes = 0
    folding = 0.0
    t0 = time.perf_counter()
    for i in range(0, len(payloads), CATCH_UP_BATCH):
        started = time.perf_counter()
        collector.catching_up()
        for raw in payloads[i : i + CATCH_UP_BATCH]:
            view.apply(events.decode(raw))
        folding += time.perf_counter() - started
        started = time.monotonic()
        if pacer.due(started):
            view.refresh()
            pacer.ran(started, time.monotonic())
            settle_heap()  # as the projector loop does after a paced refresh
            refreshes += 1
    view.refresh()  # caught up
    collector.caught_up()
    loop = len(payloads) / (time.perf_counter() - t0)
    settle_heap()
    rates = Rates(bare, len(payloads) / folding, loop, refreshes + 1, sum(view.section_sizes().values()))
    return rates, view


def live_refresh_ms(view: TalksView, payloads: list[bytes]) -> list[float]:
    """Milliseconds to decode, apply and refresh each event on its own (the caught-up loop)."""
    took = []
    for raw in payloads:
        t0 = time.perf_counter()
        view.apply(events.decode(raw))
        view.refresh()
        took.append((time.perf_counter() - t0) * 1000)
    return took


@dataclass(frozen=True)
class Checkpoints:
    """What :func:`checkpoint_ms` measured."""

    first_ms: float  # a store's first write of the view: every row
    whole_ms: float  # the whole view serialized and compressed as one blob (the former way)
    each_ms: list[float]  # a checkpoint after each event: the rows that changed
    each_bytes: list[int]
    restore_s: float  # a new process: load the checkpoint, restore the view, build its items
    after_restore_ms: float  # that process's first checkpoint, after one more event
    after_restore_bytes: int


@dataclass(frozen=True)
class Reads:
    """What the page's reads cost on a view (medians of ``READS`` runs, ms)."""

    summary_ms: float
    page_ms: float
    sort_ms: float  # the largest section sorted whole: what a summary or page cost before
    items: int


#: Runs of each read (their median is reported).
READS = 7


def reads_ms(view: TalksView) -> Reads:
    """``/api/summary`` (20 a section) and a page of 50 from the middle of the largest section,
    rendered as the hub renders them (items as kept, serialized), against sorting that section's
    items whole (what either cost before the sections were kept ranked, measured here)."""
    sizes = view.section_sizes()
    largest = max((s for s in sizes if s != "ceasefire"), key=sizes.__getitem__)
    rows = list(view.state()["sections"][largest])

    def median_ms(read: Callable[[], object]) -> float:
        took = []
        for _ in range(READS):
            t0 = time.perf_counter()
            read()
            took.append((time.perf_counter() - t0) * 1000)
        return statistics.median(took)

    return Reads(
        summary_ms=median_ms(lambda: orjson.dumps(view.summary(20, raw=True))),
        page_ms=median_ms(lambda: orjson.dumps(view.section_page(largest, sizes[largest] // 2, 50, raw=True))),
        sort_ms=median_ms(lambda: sorted(rows, key=rank_key)),
        items=sum(sizes.values()),
    )


def checkpoint_ms(view: TalksView, payloads: list[bytes]) -> Checkpoints:
    """A checkpoint store's first write of the view, the whole view as one blob, then per event
    (each applied and refreshed) a checkpoint; then a restart from it (as the projector restores:
    the store told it holds the restored view) and that process's first checkpoint after the
    last event."""
    with tempfile.TemporaryDirectory(prefix="newswire-bench-") as tmp:
        store = CheckpointStore.in_dir(Path(tmp))
        t0 = time.perf_counter()
        store.save(view.checkpoint_parts(), {("claims", 0): 0}, 0.0)
        first = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        zlib.compress(orjson.dumps(view.to_snapshot()), 1)
        whole = (time.perf_counter() - t0) * 1000
        took, sizes = [], []
        for offset, raw in enumerate(payloads[:-1], 1):
            view.apply(events.decode(raw))
            view.refresh()
            t0 = time.perf_counter()
            sizes.append(store.save(view.checkpoint_parts(), {("claims", 0): offset}, float(offset)))
            took.append((time.perf_counter() - t0) * 1000)
        store.close()
        t0 = time.perf_counter()
        store = CheckpointStore.in_dir(Path(tmp))
        restored = TalksView.from_snapshot(store.load().snapshot or {}, refreshed=False)
        store.holds(restored.checkpoint_parts())
        restored.refresh()
        restore = time.perf_counter() - t0
        restored.apply(events.decode(payloads[-1]))
        restored.refresh()
        t0 = time.perf_counter()
        after = store.save(restored.checkpoint_parts(), {("claims", 0): len(payloads)}, float(len(payloads)))
        after_ms = (time.perf_counter() - t0) * 1000
        store.close()
    return Checkpoints(first, whole, took, sizes, restore, after_ms, after)


def story_refresh_ms(n: int) -> tuple[list[float], int]:
    """Milliseconds per event (decode, apply, refresh) for ``LIVE_EVENTS`` more events of a story
    that holds ``n`` articles already; and how many stories the view shows."""
    stream = [events.encode(e) for e in story_flood(n + LIVE_EVENTS // 2)]
    view = TalksView()
    for i in range(0, 2 * n, CATCH_UP_BATCH):
        for raw in stream[i : min(i + CATCH_UP_BATCH, 2 * n)]:
            view.apply(events.decode(raw))
        view.refresh()
    took = live_refresh_ms(view, stream[2 * n :])
    return took, view.section_sizes()["stories"]


def window_memory_mb(payloads: list[bytes], days: int) -> tuple[float, float, int]:
    """MB the view holds (traced) after these events, refreshed every 500, with a window of
    ``days`` (0: none) — whether memory follows the window or the stream; and the MB of its
    checkpoint (JSON, before compression) and the event ids it keeps."""
    n = len(payloads)
    gc.collect()
    tracemalloc.start()
    view = TalksView(window=ViewWindow(days * 86400.0))
    for i in range(0, n, CATCH_UP_BATCH):
        for raw in payloads[i : i + CATCH_UP_BATCH]:
            view.apply(events.decode(raw))
        view.refresh()
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] / 1e6
    tracemalloc.stop()
    return held, len(orjson.dumps(view.to_snapshot())) / 1e6, len(view.seen)


def window_step_ms(payloads: list[bytes], days: int, hours: int = 24) -> list[float]:
    """Milliseconds of each hourly refresh over the last ``hours`` of these events (a minute
    apart), once the window moves: each forgets an hour of news and takes in the next. The view
    is built up to there in catch-up batches."""
    view = TalksView(window=ViewWindow(days * 86400.0))
    start = len(payloads) - hours * 60
    for i in range(0, start, CATCH_UP_BATCH):
        for raw in payloads[i : min(i + CATCH_UP_BATCH, start)]:
            view.apply(events.decode(raw))
        view.refresh()
    took = []
    for i in range(start, len(payloads), 60):
        for raw in payloads[i : i + 60]:
            view.apply(events.decode(raw))
        t0 = time.perf_counter()
        view.refresh()
        took.append((time.perf_counter() - t0) * 1000)
    return took


def rebuild_seconds(payloads: list[bytes], workdir: Path) -> float:
    with start_broker() as broker:
        settings = replace(
            Settings(),
            kafka_bootstrap=broker.bootstrap,
            topic_prefix=f"b{uuid.uuid4().hex[:6]}.",
            data_dir=str(workdir / "rebuild"),
            http_port=0,
            log_level="WARNING",
        )
        ensure_topics(settings)
        pub = Publisher(make_producer(settings, "bench"), settings)
        for raw in payloads:
            env = events.decode(raw)
            pub.publish(CLAIMS, env)
        pub.flush()
        pub.close()
        projector = service.build(settings, rebuild=True, checkpoint_interval_s=5.0)
        t0 = time.perf_counter()
        projector.thread.start()
        deadline = time.monotonic() + 900
        while projector.hub.view.applied < len(payloads) and time.monotonic() < deadline:
            time.sleep(0.05)  # a benchmark's progress poll, not test synchronisation
        took = time.perf_counter() - t0
        projector.stop()
        return took


def latency(seconds: float, rate: float, workdir: Path) -> list[float]:
    from tests.faults.harness import Replayer, Rig

    with Rig(workdir) as rig:
        rig.ensure_topics()
        rig.stage("entities").start()
        rig.stage("claims").start()
        proj, port = rig.projector(checkpoint_s=5.0)
        proj.start()
        base = f"http://127.0.0.1:{port}/api/articles/"
        seen_at: dict[str, float] = {}
        watched: list[dict[str, float]] = []  # the replayers' acknowledgement times, as they come
        stop = threading.Event()

        def poll() -> None:
            """Each acknowledged article until the view shows items it supports."""
            with httpx.Client(timeout=5) as client:
                while not stop.is_set():
                    for acked in list(watched):
                        for aid in [a for a in list(acked) if a not in seen_at]:
                            try:
                                found = client.get(base + aid)
                            except httpx.HTTPError:
                                continue
                            if found.status_code == 200 and orjson.loads(found.content)["items"]:
                                seen_at[aid] = time.time()
                    stop.wait(0.05)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        # warm-up: models loaded and consumer groups joined before the measured stream starts
        warm = Replayer(rig.settings, loops=1)
        watched.append(warm.oracle.acked_at)
        warm.start().join(120)
        deadline = time.monotonic() + 180
        while len(seen_at) < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        loops = max(int(seconds * rate / 5), 1)
        replayer = Replayer(rig.settings, loops=loops + 1, rate=rate)
        watched.append(replayer.oracle.acked_at)
        replayer.start().join(seconds * 3 + 120)
        acked = {a: t for a, t in replayer.oracle.acked_at.items() if a not in warm.oracle.acked_at}
        deadline = time.monotonic() + 120
        while not all(a in seen_at for a in acked) and time.monotonic() < deadline:
            time.sleep(0.1)
        stop.set()
        poller.join(10)
        return [seen_at[a] - t for a, t in acked.items() if a in seen_at] + [
            float("inf") for a in acked if a not in seen_at
        ]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.projector", description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument(
        "--rebuild-events", type=int, default=None, help="events of the rebuild run (default: the largest of --events)"
    )
    ap.add_argument("--seconds", type=float, default=60.0, help="length of the steady-rate latency run")
    ap.add_argument("--rate", type=float, default=3.0, help="articles per second for the latency run")
    ap.add_argument("--skip-latency", action="store_true")
    ap.add_argument("--story-articles", type=int, nargs=2, default=[1_000, 8_000], help="story sizes of the story run")
    ap.add_argument(
        "--window-events", type=int, default=20_000, help="events of the window memory run (a minute apart)"
    )
    args = ap.parse_args(argv)
    figures: dict[str, float | str] = {}
    live_median: dict[int, float] = {}
    for n in args.events:
        stream = [events.encode(e) for e in claim_stream(n + LIVE_EVENTS + CHECKPOINT_EVENTS)]
        payloads = stream[:n]
        rates, view = apply_rate(payloads)
        figures[f"{n} events: bare decode (events/s)"] = rates.bare
        figures[f"{n} events: decode + apply, the fold alone (events/s)"] = rates.fold
        figures[f"{n} events: decode + apply + refresh, the catch-up (events/s, target >= 20000)"] = rates.loop
        figures[f"{n} events: ratio fold / bare decode"] = rates.fold / rates.bare
        figures[f"{n} events: ratio catch-up / bare decode"] = rates.loop / rates.bare
        figures[f"{n} events: refreshes (paced), items built at the end"] = f"{rates.refreshes}, {rates.items}"
        live = live_refresh_ms(view, stream[n : n + LIVE_EVENTS])
        live_median[n] = statistics.median(live)
        figures[f"{n} events: live, one more event + refresh, median (ms)"] = live_median[n]
        figures[f"{n} events: live, one more event + refresh, p90 (ms)"] = pct(live, 90)
        reads = reads_ms(view)
        figures[f"{n} events: reads of {reads.items} items, summary / a section page (ms)"] = (
            f"{reads.summary_ms:.2f} / {reads.page_ms:.2f}"
        )
        figures[f"{n} events: reads, the largest section sorted whole (ms, the former way)"] = reads.sort_ms
        figures[f"{n} events: ratio former way / summary"] = reads.sort_ms / reads.summary_ms
        cp = checkpoint_ms(view, stream[n + LIVE_EVENTS :])
        figures[f"{n} events: checkpoint, first write of every row (ms)"] = cp.first_ms
        figures[f"{n} events: checkpoint, whole view as one blob (ms, the former way)"] = cp.whole_ms
        figures[f"{n} events: checkpoint after one more event, median (ms)"] = statistics.median(cp.each_ms)
        figures[f"{n} events: checkpoint after one more event, median (kB)"] = statistics.median(cp.each_bytes) / 1000
        figures[f"{n} events: ratio whole view / checkpoint after one more event"] = cp.whole_ms / statistics.median(
            cp.each_ms
        )
        figures[f"{n} events: restart, restore from the checkpoint (s)"] = cp.restore_s
        figures[f"{n} events: restart, its first checkpoint after one more event (ms / kB)"] = (
            f"{cp.after_restore_ms:.1f} / {cp.after_restore_bytes / 1000:.1f}"
        )
        del view
    if len(live_median) > 1:
        small, large = min(live_median), max(live_median)
        figures[f"live: ratio median at {large} / at {small} events"] = live_median[large] / live_median[small]
    story_median: dict[int, float] = {}
    for n in args.story_articles:
        took, shown = story_refresh_ms(n)
        story_median[n] = statistics.median(took)
        figures[f"story of {n} articles: one more article or entities event + refresh, median (ms)"] = story_median[n]
        figures[f"story of {n} articles: stories shown"] = shown
    small, large = args.story_articles
    figures[f"story: ratio median at {large} / at {small} articles"] = story_median[large] / story_median[small]
    days = args.window_events // (4 * 1440) or 1  # the stream spans four times the window
    claims = [events.encode(e) for e in claim_stream(args.window_events, seed=2, minutes_apart=1)]
    (everything, saved_all, _ids), (windowed, saved, ids) = window_memory_mb(claims, 0), window_memory_mb(claims, days)
    figures[f"window: view memory after {args.window_events} events a minute apart, no window (MB)"] = everything
    figures[f"window: the same with a {days}-day window (MB)"] = windowed
    figures["window: ratio windowed / no window"] = windowed / everything
    figures["window: checkpoint, no window / windowed (MB)"] = f"{saved_all:.1f} / {saved:.1f}"
    figures[f"window: event ids kept with the window (of {args.window_events})"] = ids
    steps = window_step_ms(claims, days)
    figures["window: hourly refresh once it moves, an hour forgotten and one taken in, median (ms)"] = (
        statistics.median(steps)
    )
    figures["window: hourly refresh once it moves, p90 (ms)"] = pct(steps, 90)
    # one story's articles (and entities) a minute apart: the story index must forget too
    articles = args.window_events // 4
    flood = [events.encode(e) for e in story_flood(articles)]
    days = articles // (4 * 1440) or 1
    (everything, _saved, _ids), (windowed, _saved, _ids) = window_memory_mb(flood, 0), window_memory_mb(flood, days)
    figures[f"window: view memory after {articles} articles of one story a minute apart, no window (MB)"] = everything
    figures[f"window: the same with a {days}-day window (MB, story)"] = windowed
    figures["window: ratio windowed / no window (story)"] = windowed / everything
    if args.rebuild_events is not None:
        payloads = [events.encode(e) for e in claim_stream(args.rebuild_events)]
    with tempfile.TemporaryDirectory(prefix="newswire-bench-") as tmp:
        took = rebuild_seconds(payloads, Path(tmp))
        figures["rebuild from offset 0 (s)"] = took
        figures["rebuild rate (events/s)"] = len(payloads) / took
        if not args.skip_latency:
            lat = latency(args.seconds, args.rate, Path(tmp))
            finite = [x for x in lat if x != float("inf")]
            figures[f"articles measured at {args.rate:g}/s"] = f"{len(finite)}/{len(lat)}"
            figures["ack -> its items in the view, p50 (s)"] = statistics.median(finite) if finite else float("nan")
            figures["ack -> its items in the view, p99 (s, target <= 2; inf = never)"] = pct(lat, 99)
    figures["peak RSS of this process (MB)"] = peak_rss_mb()
    used, why = compiled.status()
    figures["compiled core (newswire.compiled)"] = f"{'yes' if used else 'NO'}: {why}"
    report(f"projector (rebuild over the last stream: {len(payloads)} synthetic claims events)", figures)


if __name__ == "__main__":
    main()
