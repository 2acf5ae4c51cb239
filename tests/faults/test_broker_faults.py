"""Broker faults: paused (SIGSTOP) mid-stream, and absent when every process starts.

Figures: acknowledged vs delivered ids, retries logged, recovery time after the broker is back.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import orjson
import pytest

from bench.results import record
from ingestor.replay import build_events, collect_files
from newswire.events import Envelope
from newswire.topics import ENTITIES
from tests.faults.harness import (
    PROJECTOR_STOPPED,
    PY,
    SEEDS,
    Replayer,
    Rig,
    TopicTail,
    checkpointed,
    covered,
    try_state,
    wait_until,
)

pytestmark = pytest.mark.faults

PAUSE_S = float(os.environ.get("NEWSWIRE_FAULTS_PAUSE_S", "30"))
ABSENT_S = float(os.environ.get("NEWSWIRE_FAULTS_ABSENT_S", "20"))
RETRY_LOG = "broker not reachable, retrying"


def test_broker_paused_then_resumed_nothing_lost_no_restart(tmp_path: Path) -> None:
    """SIGSTOP the broker for 30 s while a replay, a stage and the projector run; SIGCONT it."""
    with Rig(tmp_path) as rig:
        rig.ensure_topics()
        echo = rig.stage("echo").start()
        proj, port = rig.projector()
        proj.start()
        rep = Replayer(rig.settings, loops=40, rate=8).start()  # 200 articles over ~25 s
        tail = TopicTail(rig.settings, ENTITIES)
        try:
            tail.until(lambda t: len(t.causations()) >= 20, 180, "stage output before the pause")
            assert rig.broker is not None
            acked_before = len(rep.oracle)
            rig.broker.pause()
            time.sleep(PAUSE_S)  # the fault's duration, not a synchronisation
            acked_during = len(rep.oracle) - acked_before
            rig.check_alive()
            rig.broker.resume()
            resumed_at = time.monotonic()
            report = rep.join(300)
            wanted = rep.oracle.event_ids()
            tail.until(lambda t: covered(t, wanted), 300, "every acked article through the stage")
            stage_caught_up_s = time.monotonic() - resumed_at
            n = len(rep.oracle)
            checkpointed(proj, 2 * n, 300)
            view_caught_up_s = time.monotonic() - resumed_at
            rig.check_alive()
            assert echo.starts == 1 and proj.starts == 1, "a process was restarted"
            assert len(report.published) == rep.total == n
            outputs = tail.causations()
            dup_records = sum(c - 1 for c in outputs.values())
            lost = len(wanted - set(outputs))
        finally:
            rep.stop()
            tail.close()
        articles, ents, _claims, distinct, applied = checkpointed(proj, 2 * n)
        http_state = try_state(port)
        assert echo.stop() == 0 and proj.stop() in PROJECTOR_STOPPED, rig.tails()
        assert articles == rep.oracle.article_ids() and set(ents) == articles
        assert applied == distinct == 2 * n
        assert http_state is not None, "the projector's HTTP side answers"
    record(
        "broker-sigstop",
        f"paused {PAUSE_S:.0f} s with {acked_before} acked before, {acked_during} acked while paused; "
        f"{n} acked in all, {lost} lost, {dup_records} duplicate stage outputs, 0 duplicates in view; "
        f"0 restarts; stage caught up {stage_caught_up_s:.1f} s and view {view_caught_up_s:.1f} s after SIGCONT "
        f"(replay still running then, at 8/s, ~{max(rep.total - acked_before - acked_during, 0) / 8:.0f} s of it left)",
    )


def _retry_lines(text: str) -> list[dict[str, object]]:
    out = []
    for line in text.splitlines():
        if RETRY_LOG in line and line.startswith("{"):
            out.append(orjson.loads(line))
    return out


def test_broker_absent_at_start_every_process_retries_then_works(tmp_path: Path) -> None:
    """Start replay, both enrichers and the projector with no broker; start it later on their port."""
    with Rig(tmp_path, broker=False) as rig:
        files = collect_files([SEEDS])
        loops = 2
        replayer = rig.stage("replay", "echo")
        replayer.argv = [*PY, "replay", str(SEEDS), "--loop", str(loops)]
        procs = [replayer, rig.stage("entities"), rig.stage("claims")]
        proj, port = rig.projector()
        procs.append(proj)
        started = time.monotonic()
        for p in procs:
            p.start()
        wait_until(
            lambda: all(p.log_count(RETRY_LOG) >= 2 for p in procs) and time.monotonic() - started >= ABSENT_S,
            180,
            "every process logging its retries while the broker is absent",
        )
        rig.check_alive()
        absent_s = time.monotonic() - started
        retries = {p.name: _retry_lines(p.log_text()) for p in procs}
        rig.start_broker()
        back_at = time.monotonic()
        expected = [e for e in build_events(files, rig.settings, loops) if isinstance(e, Envelope)]
        n = len(expected)
        wait_until(lambda: replayer.returncode is not None, 180, "the replay finishing")
        assert replayer.returncode == 0, replayer.tail()
        checkpointed(proj, 3 * n, 300)
        working_after_s = time.monotonic() - back_at
        for p in procs[1:]:
            assert p.alive and p.starts == 1, f"{p.name} restarted or died\n{p.tail()}"
        articles, ents, claims, distinct, applied = checkpointed(proj, 3 * n)
        assert try_state(port) is not None, "the projector's HTTP side answers"
        assert proj.stop() in PROJECTOR_STOPPED, proj.tail()
        assert articles == {e.subject for e in expected} == set(ents) == set(claims)
        assert applied == distinct == 3 * n
    for name, lines in retries.items():
        delays = [float(str(line.get("retry_in_s"))) for line in lines]
        assert all(line.get("error") for line in lines), f"{name} logs retries without the reason"
        assert delays == sorted(delays), f"{name} backoff does not grow: {delays}"
    summary = ", ".join(
        f"{k} {len(v)} retries (backoff up to {max(float(str(x.get('retry_in_s'))) for x in v):.1f} s)"
        for k, v in retries.items()
    )
    record(
        "broker-absent",
        f"broker absent {absent_s:.0f} s: {summary}; 0 crashes, 0 restarts; all {n} articles in the view "
        f"with entities and claims {working_after_s:.1f} s after the broker came up",
    )
