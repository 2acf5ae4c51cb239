"""Kernel subcommands: ``newswire broker``, ``newswire topics create|list``, ``newswire tail``."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import orjson
from kafka import TopicPartition

from newswire import bus, events
from newswire.broker import start_broker
from newswire.settings import Settings
from newswire.topics import ROLES, topic_name, topic_specs


def register(sub: Any) -> None:
    p = sub.add_parser(
        "broker",
        help="run the embedded Kafka-protocol broker (Tansu) on loopback",
        description="Start the embedded, memory-only Tansu broker and print its address. "
        "Stops on SIGTERM/SIGINT. Data is not kept across restarts.",
    )
    p.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    p.add_argument("--create-topics", action="store_true", help="also create the newswire topics")
    p.set_defaults(func=cmd_broker)

    t = sub.add_parser("topics", help="create or list the newswire topics")
    tsub = t.add_subparsers(dest="topics_command", required=True)
    c = tsub.add_parser(
        "create",
        help="create missing topics (idempotent)",
        description="Create the contract's topics with their configs from newswire/topics.toml. "
        "Partitions: NEWSWIRE_PARTITIONS (or --partitions). Existing topics are left alone.",
    )
    c.add_argument("--partitions", type=int, help="partitions per topic (env NEWSWIRE_PARTITIONS)")
    c.set_defaults(func=cmd_topics_create)
    ls = tsub.add_parser("list", help="print the topics of the contract and their configs")
    ls.set_defaults(func=cmd_topics_list)

    tail = sub.add_parser(
        "tail",
        help="follow a topic and print its events for a human (like kcat)",
        description="Print the events of a topic. TOPIC is a role (articles, entities, claims, "
        "state, deadletter) or a full topic name.",
    )
    tail.add_argument("topic")
    tail.add_argument("--from-beginning", action="store_true", help="start at the earliest offset")
    tail.add_argument("-n", "--count", type=int, default=0, help="stop after N events (0 = follow)")
    tail.add_argument("--json", action="store_true", help="print each event as one JSON line")
    tail.add_argument("--idle-exit", type=float, default=0.0, help="exit after S seconds with nothing new")
    tail.set_defaults(func=cmd_tail)


def cmd_broker(args: argparse.Namespace, settings: Settings) -> int:
    shutdown = bus.Shutdown().install()
    broker = start_broker(port=args.port)
    try:
        print(f"newswire broker listening on {broker.bootstrap}", flush=True)
        print(f"export NEWSWIRE_KAFKA_BOOTSTRAP={broker.bootstrap}", flush=True)
        if args.create_topics:
            from dataclasses import replace

            for name, outcome in bus.ensure_topics(replace(settings, kafka_bootstrap=broker.bootstrap)).items():
                print(f"topic {name}: {outcome}", flush=True)
        while not shutdown.wait(0.5):
            if broker.process.poll() is not None:
                print(f"broker exited with {broker.process.returncode}", file=sys.stderr)
                return 1
    finally:
        broker.stop()
    return 0


def cmd_topics_create(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import replace

    if args.partitions:
        settings = replace(settings, partitions=args.partitions)
    for name, outcome in bus.ensure_topics(settings).items():
        print(f"{name}\t{outcome}")
    return 0


def cmd_topics_list(args: argparse.Namespace, settings: Settings) -> int:
    for spec in topic_specs(settings.topic_prefix, settings.partitions):
        configs = ",".join(f"{k}={v}" for k, v in sorted(spec.configs.items()))
        print(f"{spec.role:10} {spec.name:28} partitions={spec.partitions} {configs}")
    return 0


def describe(envelope: events.Envelope) -> str:
    """One human line for an event."""
    d = envelope.data
    if envelope.type == events.ARTICLE_INGESTED:
        detail = f"{d.get('outlet')}: {d.get('title')!r} ({len(d.get('body', ''))} chars)"
    elif envelope.type == events.ENTITIES_EXTRACTED:
        detail = ", ".join(e["id"] for e in d.get("entities", ())[:8])
    elif envelope.type == events.CLAIMS_EXTRACTED:
        kinds: dict[str, int] = {}
        for c in d.get("claims", ()):
            kinds[c["kind"]] = kinds.get(c["kind"], 0) + 1
        detail = " ".join(f"{k}={v}" for k, v in sorted(kinds.items()))
    elif envelope.type == events.DEADLETTER:
        detail = f"{d.get('stage')} {d.get('reason')}: {d.get('error_message', '')[:120]}"
    else:
        detail = f"{d.get('section')} {d.get('change')} {d.get('item_id')}"
    return f"{envelope.time} {envelope.type} {envelope.subject} {envelope.id} | {detail}"


def cmd_tail(args: argparse.Namespace, settings: Settings) -> int:
    shutdown = bus.Shutdown().install()
    name = topic_name(args.topic, settings.topic_prefix) if args.topic in ROLES else args.topic
    consumer = bus.with_broker_retry(lambda: bus.make_consumer(settings, "tail", None), settings, "tail")
    try:
        parts = consumer.partitions_for_topic(name)
        if not parts:
            print(f"newswire tail: no topic {name!r}", file=sys.stderr)
            return 1
        tps = [TopicPartition(name, p) for p in sorted(parts)]
        consumer.assign(tps)
        if args.from_beginning:
            consumer.seek_to_beginning(*tps)
        else:
            consumer.seek_to_end(*tps)
        seen = 0
        last_new = time.monotonic()
        while not shutdown.requested:
            for records in consumer.poll(timeout_ms=500).values():
                for r in records:
                    seen += 1
                    last_new = time.monotonic()
                    try:
                        env = events.decode(r.value)
                        line = orjson.dumps(env.to_dict()).decode() if args.json else describe(env)
                    except events.EnvelopeError as exc:
                        line = f"<undecodable record {r.topic}/{r.partition}/{r.offset}: {exc}>"
                    print(line, flush=True)
                    if args.count and seen >= args.count:
                        return 0
            if args.idle_exit and time.monotonic() - last_new > args.idle_exit:
                return 0
    finally:
        consumer.close(autocommit=False)
    return 0
