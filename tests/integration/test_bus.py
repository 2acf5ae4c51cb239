"""The bus against a real broker: replay, dead letters, commit order, topics, other clients."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import orjson
import pytest

from ingestor.replay import collect_files, replay
from newswire import events
from newswire.bus import Publisher, Shutdown, ensure_topics, make_consumer, make_producer
from newswire.schema_registry import validate_event
from newswire.settings import Settings
from newswire.topics import ARTICLES, DEADLETTER, ENTITIES, topic_name
from tests.conftest import ROOT, SEEDS, wait_until
from tests.integration import echo_stage
from tests.integration.kafka_helpers import read_all

pytestmark = pytest.mark.broker


def test_replay_round_trip_schema_valid_and_stable_ids(settings: Settings) -> None:
    ensure_topics(settings)
    files = collect_files([SEEDS])
    first = replay(files, settings)
    second = replay(files, settings)
    assert len(first.published) == 5 and not first.rejected
    assert first.published == second.published  # same ids on a second replay
    records = read_all(settings, ARTICLES, expect_at_least=10)
    assert len(records) == 10
    decoded = [validate_event(r.value) for r in records]
    assert {d["id"] for d in decoded} == set(first.published)
    assert all(r.key.decode() == d["subject"] for r, d in zip(records, decoded, strict=True))
    assert all(dict(r.headers)["ce_type"] == b"newswire.article.ingested" for r in records)


def test_replay_rejects_bad_files_and_publishes_the_rest(settings: Settings, tmp_path: Path) -> None:
    ensure_topics(settings)
    shutil.copy(SEEDS / "000_f0b6c271f5f38538.txt", tmp_path / "good.txt")
    shutil.copy(SEEDS / "000_f0b6c271f5f38538.txt", tmp_path / "copy.txt")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\x00\x00\x01")
    (tmp_path / "latin1.txt").write_bytes("Déjà vu".encode("latin-1"))
    report = replay(collect_files([tmp_path]), settings)
    assert len(report.published) == 1
    assert len(report.duplicates) == 1
    assert sorted(r.reason for r in report.rejected) == ["binary", "empty", "undecodable"]


def _run_echo(settings: Settings) -> tuple[threading.Thread, Shutdown]:
    shutdown = Shutdown()
    runner = echo_stage.make_runner(settings, shutdown)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    return thread, shutdown


def test_poison_event_is_dead_lettered_and_the_next_goes_through(settings: Settings) -> None:
    ensure_topics(settings)
    pub = Publisher(make_producer(settings, "test"), settings)
    articles = topic_name(ARTICLES, settings.topic_prefix)
    pub.send(articles, b"bad-key", b"{this is not json", [])
    replay(collect_files([SEEDS / "001_998d17ca6324c44c.txt"]), settings)
    pub.flush()
    pub.close()
    thread, shutdown = _run_echo(settings)
    try:
        dead = wait_until(lambda: read_all(settings, DEADLETTER, 1, 2), 30, what="dead letter")
        out = wait_until(lambda: read_all(settings, ENTITIES, 1, 2), 30, what="echo output")
    finally:
        shutdown.event.set()
        thread.join(20)
    assert not thread.is_alive(), "stage did not drain on shutdown"
    dl = validate_event(dead[0].value)
    assert dl["data"]["reason"] == "invalid_json"
    assert dl["data"]["original"]["topic"] == articles
    assert dl["data"]["original"]["key"] == "bad-key"
    assert dl["data"]["original"]["offset"] >= 0 and dl["data"]["error_class"] == "EnvelopeError"
    assert dead[0].key == b"bad-key"
    assert len(out) == 1
    validate_event(out[0].value)


def test_processing_error_isolated_to_the_failing_event(settings: Settings) -> None:
    ensure_topics(settings)
    good = collect_files([SEEDS])[:2]
    report = replay(good, settings)
    poison = orjson.loads(events.encode(events.decode(read_all(settings, ARTICLES, 2)[0].value)))
    poison["data"]["title"] = "POISON"
    poison["id"] = "evt-poison"
    pub = Publisher(make_producer(settings, "test"), settings)
    pub.send(topic_name(ARTICLES, settings.topic_prefix), b"k", orjson.dumps(poison), [])
    pub.flush()
    pub.close()
    thread, shutdown = _run_echo(settings)
    try:
        out = wait_until(lambda: len(read_all(settings, ENTITIES, 2, 2)) >= 2 and read_all(settings, ENTITIES, 2, 2))
        dead = wait_until(lambda: read_all(settings, DEADLETTER, 1, 2), 30)
    finally:
        shutdown.event.set()
        thread.join(20)
    assert {validate_event(r.value)["causationid"] for r in out} == set(report.published)
    assert validate_event(dead[0].value)["data"]["reason"] == "processing_error"


def test_consumer_killed_before_commit_redelivers_without_duplicate_ids(settings: Settings) -> None:
    ensure_topics(settings)
    report = replay(collect_files([SEEDS]), settings)
    env = {**os.environ, **settings.as_env(), "ECHO_KILL_BEFORE_COMMIT": "1"}
    cmd = [sys.executable, "-m", "tests.integration.echo_stage"]
    crashed = subprocess.run(cmd, env=env, cwd=ROOT, timeout=60, check=False, capture_output=True)
    assert crashed.returncode == -9, crashed.stderr.decode()[-2000:]
    after_crash = read_all(settings, ENTITIES, 1, 5)
    assert after_crash, "outputs of the first batch were acknowledged before the kill"
    env["ECHO_KILL_BEFORE_COMMIT"] = "0"
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stderr=subprocess.PIPE)
    try:
        wanted = set(report.published)
        out = wait_until(
            lambda: (
                {validate_event(r.value)["causationid"] for r in read_all(settings, ENTITIES, 5, 2)} >= wanted
                and read_all(settings, ENTITIES, 5, 2)
            ),
            60,
            what="every article enriched after the restart",
        )
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()[-2000:]
    ids_out = [validate_event(r.value)["id"] for r in out]
    # redelivery re-produces the uncommitted batch with the same ids: one id per article
    assert len(set(ids_out)) == 5
    assert len(ids_out) - 5 <= len(after_crash) <= settings.max_poll_records


def test_topics_create_is_idempotent(settings: Settings) -> None:
    first = ensure_topics(settings)
    second = ensure_topics(settings)
    assert set(first.values()) == {"created"}
    assert set(second.values()) == {"exists"}


def test_a_downstream_client_other_than_kafka_python_decodes_the_events(settings: Settings) -> None:
    confluent_kafka = pytest.importorskip("confluent_kafka")
    ensure_topics(settings)
    report = replay(collect_files([SEEDS]), settings)
    c = confluent_kafka.Consumer(
        {
            "bootstrap.servers": settings.kafka_bootstrap,
            "group.id": f"{settings.topic_prefix}downstream",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    name = topic_name(ARTICLES, settings.topic_prefix)
    c.assign([confluent_kafka.TopicPartition(name, p, confluent_kafka.OFFSET_BEGINNING) for p in range(3)])
    seen: dict[str, dict[str, object]] = {}
    try:

        def poll() -> bool:
            msg = c.poll(0.5)
            if msg is not None and msg.error() is None:
                ev = validate_event(msg.value())
                seen[ev["id"]] = ev
                assert dict(msg.headers())["ce_id"].decode() == ev["id"]
            return len(seen) >= 5

        wait_until(poll, 30, interval=0, what="confluent-kafka reads five events")
    finally:
        c.close()
    assert set(seen) == set(report.published)


def test_tail_prints_events_for_a_human(settings: Settings) -> None:
    ensure_topics(settings)
    replay(collect_files([SEEDS]), settings)
    out = subprocess.run(
        [sys.executable, "-m", "newswire", "tail", "articles", "--from-beginning", "-n", "5"],
        env={**os.environ, **settings.as_env()},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 5 and all("newswire.article.ingested" in line for line in lines)


def test_client_settings_are_explicit_not_library_defaults(settings: Settings) -> None:
    consumer = make_consumer(settings, "settings-check", "g")
    producer = make_producer(settings, "settings-check")
    try:
        c, p = consumer.config, producer.config
        assert c["enable_auto_commit"] is False  # offsets only after outputs are acknowledged
        assert c["auto_offset_reset"] == "earliest"  # a new group starts at the beginning, not 'latest'
        assert c["isolation_level"] == "read_committed"
        assert c["max_poll_records"] == settings.max_poll_records
        assert c["max_poll_interval_ms"] == settings.max_poll_interval_ms
        assert p["acks"] in ("all", -1)
        assert p["enable_idempotence"] is True
        assert p["retries"] == settings.retries  # bounded, not kafka-python's infinite default
    finally:
        consumer.close(autocommit=False)
        producer.close()
