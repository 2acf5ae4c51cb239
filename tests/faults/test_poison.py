"""Poison events mixed into the articles topic: every one dead-lettered with its reason, every
valid event through, and the counts reconcile (in = out + dead-lettered + deduplicated)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
import pytest

from bench.results import record
from ingestor.replay import build_events, collect_files
from newswire import events
from newswire.broker import free_port
from newswire.bus import Publisher, make_producer
from newswire.events import Envelope
from newswire.topics import ARTICLES, CLAIMS, DEADLETTER, ENTITIES, topic_name
from tests.faults.harness import (
    PROJECTOR_STOPPED,
    SEEDS,
    Replayer,
    Rig,
    TopicTail,
    checkpointed,
    metric_sum,
    scrape,
)

pytestmark = pytest.mark.faults

STAGES = ("entities", "claims", "projector")


def poison_records(template: Envelope) -> list[tuple[str, bytes | None]]:
    """(expected dead-letter reason, record value) for every kind of bad input the issue names."""
    good = orjson.loads(events.encode(template))

    def variant(**changes: object) -> bytes:
        d = {**good, "id": f"evt-poison-{len(changes)}-{sorted(changes)}"}
        d.update(changes)
        return orjson.dumps(d)

    no_body = {**good, "id": "evt-poison-nobody", "data": {k: v for k, v in good["data"].items() if k != "body"}}
    huge = {**good, "id": "evt-poison-huge", "data": {**good["data"], "body": "word " * 420_000}}  # ~2.1 MB
    huge2 = {**huge, "id": "evt-poison-huge-2"}
    return [
        ("invalid_json", b"{this is not json"),
        ("invalid_json", b"\xff\xfe\x00binary garbage"),
        ("invalid_json", b""),
        ("not_cloudevent", b"[1, 2, 3]"),
        ("empty", None),
        ("schema_invalid", orjson.dumps(no_body)),
        ("schema_invalid", variant(dataschema="https://example.invalid/no-version")),
        ("schema_invalid", variant(time="yesterday at noon")),
        ("too_large", orjson.dumps(huge)),
        ("too_large", orjson.dumps(huge2)),
        ("unknown_type", variant(type="newswire.unknown.v9")),
        ("unknown_type", variant(type="com.example.other.thing")),
    ]


def test_poison_events_dead_lettered_and_counts_reconcile(tmp_path: Path) -> None:
    with Rig(tmp_path) as rig:
        rig.ensure_topics()
        ports = {"entities": free_port(), "claims": free_port()}
        ents = rig.stage("entities", NEWSWIRE_METRICS_PORT=str(ports["entities"])).start()
        claims = rig.stage("claims", NEWSWIRE_METRICS_PORT=str(ports["claims"])).start()
        proj, proj_port = rig.projector()
        proj.start()
        first = Replayer(rig.settings, loops=10).start()
        first.join(120)
        template = next(e for e in build_events(collect_files([SEEDS]), rig.settings) if isinstance(e, Envelope))
        poison = poison_records(template)
        pub = Publisher(make_producer(rig.settings, "poison", max_request_size=8 * 1024 * 1024), rig.settings)
        for i, (_reason, value) in enumerate(poison):
            pub.send(topic_name(ARTICLES, rig.settings.topic_prefix), f"poison-{i}".encode(), value, [])
        pub.flush()
        pub.close()
        second = Replayer(rig.settings, loops=20).start()  # loops 0-9 again (duplicates) and 10-19
        second.join(120)
        valid = first.oracle.event_ids() | second.oracle.event_ids()
        n_in = len(first.oracle) + len(poison) + len(second.oracle)
        duplicates_sent = len(first.oracle.event_ids() & second.oracle.event_ids())
        tails = {role: TopicTail(rig.settings, role) for role in (ARTICLES, ENTITIES, CLAIMS, DEADLETTER)}
        try:
            for role in (ENTITIES, CLAIMS):
                tails[role].until(lambda t: valid <= set(t.causations()), 600, f"every valid article in {role}")
            tails[DEADLETTER].until(
                lambda t: len(t.records) >= len(poison) * len(STAGES), 300, "dead letters from every stage"
            )
            articles_, _e, _c, distinct, applied = checkpointed(proj, 3 * len(valid), 300)
            for t in tails.values():
                t.drain()
            metrics = {name: scrape(port) for name, port in ports.items()}
            metrics["projector"] = scrape(proj_port)
        finally:
            for t in tails.values():
                t.close()
        rig.check_alive()
        assert ents.stop() == 0 and claims.stop() == 0, rig.tails()
        assert proj.stop() in PROJECTOR_STOPPED, proj.tail()

    assert len(tails[ARTICLES].records) == n_in
    assert applied == distinct == 3 * len(valid) and len(articles_) == len(valid)
    expected_reasons = Counter(reason for reason, _v in poison)
    dead = [d for d in tails[DEADLETTER].decoded if d is not None]
    figures = []
    for stage in STAGES:
        mine = [d["data"] for d in dead if d["data"]["stage"] == stage]
        assert Counter(d["reason"] for d in mine) == expected_reasons, f"{stage} dead letters"
        assert all(d["error_message"] and d["original"]["key"].startswith("poison-") for d in mine)
        m = metrics[stage]
        m_in = metric_sum(m, "newswire_stage_events_in_total", stage=stage)
        m_dead = metric_sum(m, "newswire_deadletters_total", stage=stage)
        m_dup = metric_sum(m, "newswire_stage_duplicates_total", stage=stage)
        m_out = metric_sum(m, "newswire_stage_events_out_total", stage=stage)
        assert m_dead == len(poison)
        if stage == "projector":
            # the projector reads three topics; its outputs are view changes, so reconcile by ids
            figures.append(f"{stage}: in {m_in:.0f} = applied {applied} + dead {m_dead:.0f} + dedup {m_dup:.0f}")
            assert m_in == applied + m_dead + m_dup
            continue
        out_role = ENTITIES if stage == "entities" else CLAIMS
        out_ids = tails[out_role].causations()
        assert set(out_ids) == valid, f"{stage}: outputs for exactly the valid articles"
        assert m_in == n_in, f"{stage} consumed every record once (no restart here)"
        assert m_in == m_out + m_dead + m_dup, f"{stage}: in {m_in} != out {m_out} + dead {m_dead} + dup {m_dup}"
        figures.append(f"{stage}: in {m_in:.0f} = out {m_out:.0f} + dead {m_dead:.0f} + dedup {m_dup:.0f}")
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(expected_reasons.items()))
    record(
        "poison-events",
        f"{n_in} records in ({len(valid)} valid, {duplicates_sent} redelivered, {len(poison)} poison: {reasons}); "
        f"each stage dead-lettered all {len(poison)} with the reason, 0 valid lost; " + "; ".join(figures),
    )
