"""SIGKILL under load: both enrichers killed 10 times each and the projector 5 times during one
``replay --loop`` run; then every acknowledged article is reconciled against the topics and the view,
and the restarted projector's view is compared with a clean ``--rebuild`` from offset 0.

The kills land at progress thresholds (after the victim has produced more output since its last
start), i.e. while batches are in flight: mostly inside the model, between poll and commit. One run
feeds two tests (issue 8, items 1 and 2) because the enrichers' CPU time dominates the suite.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bench.results import record
from consumers.claims.extract import EXTRACTOR as CLAIMS_EXTRACTOR
from consumers.entities.core import EXTRACTOR as ENTITIES_EXTRACTOR
from newswire import events, ids
from newswire.topics import CLAIMS, ENTITIES
from tests.faults.harness import (
    PROJECTOR_STOPPED,
    Proc,
    Replayer,
    Rig,
    TopicTail,
    checkpointed,
    view_hash,
)

# The issue asks for 5,000 articles: NEWSWIRE_FAULTS_ARTICLES=5000 runs that. CI runs 600, for time:
# the enrichers do ~3 articles/s end to end on 2 shared cores with the kills (5,000 would take ~27 min
# of CI's 90 alone). The ~1,000-article limit this once had (an unbounded talks.state item) is gone:
# test_stage_bugs.py keeps items bounded.
ARTICLES_N_DEFAULT = 600
pytestmark = [pytest.mark.faults]

ARTICLES_N = int(os.environ.get("NEWSWIRE_FAULTS_ARTICLES", str(ARTICLES_N_DEFAULT)))
ENRICHER_KILLS = int(os.environ.get("NEWSWIRE_FAULTS_KILLS", "10"))
PROJECTOR_KILLS = 5
DEADLINE_S = float(os.environ.get("NEWSWIRE_FAULTS_KILL_DEADLINE_S", "1500"))
pytestmark.append(pytest.mark.timeout(int(DEADLINE_S) + 1200))


@dataclass
class KillRun:
    n: int
    acked: dict[str, str]
    outputs: dict[str, Counter[str]]
    kills: dict[str, int]
    commit_failures: dict[str, int]
    max_poll_records: int
    view: tuple[set[str], dict[str, str], dict[str, str], int, int]
    hashes: dict[str, tuple[str, int]]
    seconds: float
    rebuild_seconds: float
    notes: list[str] = field(default_factory=list)


def _restart(proc: Proc) -> None:
    proc.kill()
    proc.start()


@pytest.fixture(scope="module")
def kill_run(tmp_path_factory: pytest.TempPathFactory) -> KillRun:
    tmp = tmp_path_factory.mktemp("kills")
    started = time.monotonic()
    with Rig(tmp) as rig:
        rig.ensure_topics()
        enrichers = {ENTITIES: rig.stage("entities").start(), CLAIMS: rig.stage("claims").start()}
        proj, _port = rig.projector(checkpoint_s=1.0)
        proj.start()
        loops = max(ARTICLES_N // 5, 1)
        rep = Replayer(rig.settings, loops=loops).start()
        n = rep.total
        tails = {role: TopicTail(rig.settings, role, f"tail-{role}") for role in enrichers}
        step = n / (ENRICHER_KILLS + 1)
        done = dict.fromkeys(enrichers, 0)
        projector_kills = 0
        deadline = time.monotonic() + DEADLINE_S
        try:
            while True:
                assert time.monotonic() < deadline, "kill run over its deadline\n" + rig.tails()
                for role, tail in tails.items():
                    tail.poll(timeout_ms=100)
                    progress = len(tail.causations())
                    if done[role] < ENRICHER_KILLS and progress >= (done[role] + 1) * step:
                        _restart(enrichers[role])
                        done[role] += 1
                        if role == ENTITIES and done[role] % 2 == 0 and projector_kills < PROJECTOR_KILLS:
                            _restart(proj)
                            projector_kills += 1
                rig.check_alive()
                acked = rep.oracle.event_ids() if rep.thread and not rep.thread.is_alive() else None
                if acked and all(acked <= set(t.causations()) for t in tails.values()):
                    break
            rep.join(60)
            proj_out = checkpointed(proj, 3 * n, 900)
            enriched_s = time.monotonic() - started
            for t in tails.values():
                t.drain(idle_s=2)
        finally:
            rep.stop()
            for t in tails.values():
                t.close()
        commit_failures = {r: p.log_count("commit failed") for r, p in enrichers.items()}
        for p in enrichers.values():
            assert p.stop() == 0, p.tail()
        assert proj.stop() in PROJECTOR_STOPPED, proj.tail()
        # a clean rebuild from offset 0, in its own data dir
        rebuilt, _p2 = rig.projector("rebuild", rebuild=True, checkpoint_s=1.0)
        t0 = time.monotonic()
        rebuilt.start()
        checkpointed(rebuilt, 3 * n, 900)
        rebuild_s = time.monotonic() - t0
        assert rebuilt.stop() in PROJECTOR_STOPPED, rebuilt.tail()
        hashes = {
            "restarted": view_hash(Path(proj.env["NEWSWIRE_DATA_DIR"])),
            "rebuilt": view_hash(Path(rebuilt.env["NEWSWIRE_DATA_DIR"])),
        }
        return KillRun(
            n=n,
            acked=dict(rep.oracle.acked),
            outputs={r: t.causations() for r, t in tails.items()},
            kills={"entities": done[ENTITIES], "claims": done[CLAIMS], "projector": projector_kills},
            commit_failures={str(k): v for k, v in commit_failures.items()},
            max_poll_records=rig.settings.max_poll_records,
            view=proj_out,
            hashes=hashes,
            seconds=enriched_s,
            rebuild_seconds=rebuild_s,
        )


def test_enrichers_sigkilled_every_acked_article_once_in_view(kill_run: KillRun) -> None:
    r = kill_run
    assert len(r.acked) == r.n
    articles, ents, claims, distinct, applied = r.view
    acked_articles = set(r.acked)
    assert articles == acked_articles
    # exactly one entities and one claims outcome per article: the deterministic derived ids
    assert ents == {
        a: ids.derived_event_id(events.ENTITIES_EXTRACTED, e, ENTITIES_EXTRACTOR) for a, e in r.acked.items()
    }
    assert claims == {a: ids.derived_event_id(events.CLAIMS_EXTRACTED, e, CLAIMS_EXTRACTOR) for a, e in r.acked.items()}
    assert applied == distinct == 3 * r.n, "an event was applied twice"
    parts = []
    for role, outs in r.outputs.items():
        lost = set(r.acked.values()) - set(outs)
        assert not lost, f"{len(lost)} acked articles have no {role} output"
        dups = sum(c - 1 for c in outs.values())
        kills = r.kills["entities" if role == ENTITIES else "claims"]
        bound = (kills + r.commit_failures[role]) * r.max_poll_records
        assert dups <= bound, f"{role}: {dups} duplicate records > {bound}"
        parts.append(
            f"{role}: {kills} kills, {dups} duplicate records (bound {bound} = "
            f"({kills} kills + {r.commit_failures[role]} failed commits) x {r.max_poll_records})"
        )
    record(
        "enricher-sigkill",
        f"{r.n} acked, 0 lost; " + "; ".join(parts) + f"; 0 duplicates in view ({applied} events applied "
        f"= 3 x {r.n}); {r.n / r.seconds:.1f} articles/s end to end with the kills ({r.seconds:.0f} s)",
    )


def test_projector_sigkilled_view_equals_clean_rebuild(kill_run: KillRun) -> None:
    r = kill_run
    assert r.kills["projector"] == PROJECTOR_KILLS
    (h1, v1), (h2, v2) = r.hashes["restarted"], r.hashes["rebuilt"]
    assert v1 == v2 == 3 * r.n
    assert h1 == h2, "the view after SIGKILLs and restarts differs from a clean rebuild"
    record(
        "projector-sigkill",
        f"{r.kills['projector']} kills during a {r.n}-article replay: view after restarts == clean rebuild "
        f"from offset 0 (sha256 {h1[:16]}, {v1} events); rebuild took {r.rebuild_seconds:.1f} s",
    )
