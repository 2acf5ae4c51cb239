"""A rebalance storm: entities replicas join and leave (SIGTERM or SIGKILL) every few seconds while
a replay runs; then 0 lost, 0 duplicates in the view, and no stage stuck (all caught up in time)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bench.results import record
from newswire.topics import CLAIMS, ENTITIES
from newswire.watchdog import EXIT_STALLED
from tests.faults.harness import (
    PROJECTOR_STOPPED,
    Replayer,
    RestartPolicy,
    Rig,
    TopicTail,
    checkpointed,
    covered,
    group_accepts_a_new_member,
)

pytestmark = [pytest.mark.faults, pytest.mark.timeout(480)]  # a hung client poll ends here, not at 600 s

STORM_EVERY_S = float(os.environ.get("NEWSWIRE_FAULTS_STORM_EVERY_S", "4"))
REPLICAS = 3
SETTLE_S = float(os.environ.get("NEWSWIRE_FAULTS_SETTLE_S", "120"))
#: kafka-python 3.0.12 can block for good in one client call (a JoinGroup or a fetch the broker never
#: answers: dpkp/kafka-python#3121, fix unreleased). Seen here in 2 of 3 storms before the watchdog.
#: The stages' stall watchdog (newswire/watchdog.py) ends such a process with exit 75 and the
#: restart policy starts it again; the deadline must exceed a legitimate join (6 s + 30 s here).
STALL_TIMEOUT_S = int(os.environ.get("NEWSWIRE_FAULTS_STALL_TIMEOUT_S", "45"))
BROKER_WEDGE = (
    "the embedded broker (Tansu 0.6.0) stopped serving the group after the churn: a brand-new process "
    "(fresh member, fresh connections) cannot join it either; its coordinator connection gets no "
    "answer even to ApiVersions. Broker-side, not the stages' (Apache Kafka is what production runs)"
)
#: whether some replicas leave by SIGKILL (else all by SIGTERM)
STORM_KILLS = os.environ.get("NEWSWIRE_FAULTS_STORM_KILLS", "1") == "1"


@pytest.mark.parametrize(
    "storm_stage",
    [
        # echo: the kernel's StageRunner with a trivial handler (its entities events carry no entities);
        # NEWSWIRE_FAULTS_STORM_STAGE=entities storms the real enricher instead
        os.environ.get("NEWSWIRE_FAULTS_STORM_STAGE", "echo"),
    ],
)
def test_rebalance_storm_loses_nothing_and_nothing_sticks(tmp_path: Path, storm_stage: str) -> None:
    with Rig(tmp_path, stall_timeout_s=STALL_TIMEOUT_S) as rig:
        rig.ensure_topics()
        replicas = [rig.stage(f"{storm_stage}-{i}", storm_stage) for i in range(REPLICAS)]
        replicas[0].start()
        claims = rig.stage("claims").start()
        proj, _port = rig.projector(checkpoint_s=1.0)
        proj.start()
        policy = RestartPolicy([*replicas, claims, proj])
        rep = Replayer(rig.settings, loops=60, rate=5).start()  # 300 articles over ~60 s
        n = rep.total
        joins = leaves = kills = 0
        clean_exits: list[int] = []
        tails = {r: TopicTail(rig.settings, r, f"tail-{r}") for r in (ENTITIES, CLAIMS)}
        storm_started = time.monotonic()
        step = 0
        try:
            while rep.thread is not None and rep.thread.is_alive():
                assert time.monotonic() - storm_started < 600, "replay did not finish during the storm"
                time.sleep(STORM_EVERY_S)  # the storm's cadence (a fault schedule, not a synchronisation)
                victim = replicas[step % REPLICAS]
                alive = [p for p in replicas if p.alive]
                if not victim.alive:
                    victim.start()
                    joins += 1
                elif len(alive) > 1:
                    if step % 2 and STORM_KILLS:
                        victim.kill()
                        kills += 1
                    else:
                        clean_exits.append(victim.stop(timeout_s=60))
                    leaves += 1
                step += 1
                policy.tick()
                for t in tails.values():
                    t.poll(timeout_ms=50)
            storm_s = time.monotonic() - storm_started
            progress_in_storm = len(tails[ENTITIES].causations())
            rep.join(60)
            wanted = rep.oracle.event_ids()
            settle_started = time.monotonic()
            for role, t in tails.items():
                try:
                    t.until(
                        lambda tt: policy.tick() >= 0 and covered(tt, wanted),
                        SETTLE_S,
                        f"every acked article in {role} after the storm",
                    )
                except AssertionError:
                    done = len(set(t.causations()) & wanted)
                    stuck_group = storm_stage if role == ENTITIES else "claims"
                    broker_wedged = not group_accepts_a_new_member(rig.settings, stuck_group)
                    record(
                        "rebalance-storm",
                        f"{'BROKER WEDGED' if broker_wedged else 'FAILED'} ({storm_stage} replicas, "
                        f"kills={STORM_KILLS}): {joins} joins, {leaves} leaves; "
                        f"{role} stuck at {done}/{len(wanted)} acked articles {SETTLE_S:.0f} s after the storm; "
                        f"alive replicas: {[p.name for p in replicas if p.alive]}; "
                        f"watchdog restarts: {dict(policy.restarts)}; a new process "
                        f"{'could not' if broker_wedged else 'could'} join the group",
                    )
                    if broker_wedged:
                        pytest.xfail(BROKER_WEDGE)
                    raise
            settle_s = time.monotonic() - settle_started
            policy.tick()
            articles, ents, claims_, distinct, applied = checkpointed(proj, 3 * n, 600)
            for t in tails.values():
                t.drain(idle_s=2)
            dups = {r: sum(c - 1 for c in t.causations().values()) for r, t in tails.items()}
        finally:
            rep.stop()
            for t in tails.values():
                t.close()
        assert claims.alive and proj.alive, rig.tails()
        for p in replicas:
            if p.alive:
                clean_exits.append(p.stop(timeout_s=60))
        assert claims.stop() == 0 and proj.stop() in PROJECTOR_STOPPED, rig.tails()
    # a replica stuck in the client when SIGTERM came cannot drain: its watchdog ends it (75), logged
    assert all(code in (0, EXIT_STALLED) for code in clean_exits), f"a replica neither drained nor ended: {clean_exits}"
    assert articles == rep.oracle.article_ids() == set(ents) == set(claims_)
    assert applied == distinct == 3 * n, "an event was applied twice"
    record(
        "rebalance-storm",
        f"{n} acked over {storm_s:.0f} s while {REPLICAS} {storm_stage} replicas churned every {STORM_EVERY_S:.0f} s "
        f"({joins} joins, {leaves} leaves of which {kills} SIGKILL): 0 lost, {dups[ENTITIES]} duplicate "
        f"entities records, 0 duplicates in view; {progress_in_storm} articles enriched during the storm, "
        f"all caught up {settle_s:.0f} s after it; stall-watchdog restarts {sum(policy.restarts.values())} "
        f"{dict(policy.restarts)}, SIGTERM exits {sorted(clean_exits)}",
    )
