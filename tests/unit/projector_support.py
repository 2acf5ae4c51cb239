"""Seed-derived events for the projector tests: the seed articles (as the replay makes them) plus
entities and claims events built from the hand annotations of ``../shared/eval/seeds.gold.json``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from consumers.projector.synthetic import gold_events
from ingestor.seeds import Debris, SeedMeta, parse_article_text
from newswire.events import Envelope
from tests.conftest import GOLD, SEEDS

BASE_TIME = datetime(2026, 5, 18, 8, 0, tzinfo=UTC)


@cache
def gold() -> dict[str, Any]:
    return dict(json.loads(GOLD.read_text(encoding="utf-8")))


def seed_articles(loop: int = 0) -> dict[str, Envelope]:
    """File name → article event; article *i* is published an hour after article *i-1*."""
    out: dict[str, Envelope] = {}
    for i, path in enumerate(sorted(SEEDS.glob("*.txt"))):
        published = BASE_TIME + timedelta(hours=i)
        meta = SeedMeta(published=published.isoformat().replace("+00:00", "Z"))
        rec = parse_article_text(path.name, path.read_text(encoding="utf-8"), meta, Debris.load(), loop=loop)
        assert not hasattr(rec, "reason"), rec
        out[path.name] = rec.envelope("urn:newswire:test", published)  # type: ignore[union-attr]
    return out


@cache
def seed_events() -> tuple[Envelope, ...]:
    """The five seed articles with gold-derived entities and claims events (15 events)."""
    return tuple(gold_events(seed_articles(), gold()))


def find(
    state: dict[str, Any],
    section: str,
    kind: str | None = None,
    participants: set[str] | None = None,
    object_has: str | None = None,
) -> list[dict[str, Any]]:
    """Items of a section matching the gold description (participants: a superset matches)."""
    out = []
    for item in state["sections"].get(section, []):
        if kind and item["kind"] != kind:
            continue
        ids = {p["id"] for p in item["participants"]}
        if participants and not participants <= ids:
            continue
        if object_has and not any(object_has.lower() in str(v).lower() for v in item.get("object_variants", [])):
            continue
        out.append(item)
    return out


def assert_gold_state(state: dict[str, Any], names: dict[str, str]) -> None:
    """The ``state`` section of the gold file, checked against a rendered view.

    ``names`` maps gold file names to article ids (conflict sources are listed by file).
    """
    g = gold()["state"]
    for want in g["upcoming"]:
        got = find(state, "upcoming", want["kind"], set(want["participants"]))
        assert got, f"upcoming {want} missing"
        best = max(got, key=lambda i: i["sources"])
        assert best["sources"] >= want["min_sources"], best["label"]
        assert want["when_contains"].lower() in str(best.get("time_text", "")).lower()
    for want in g["held"]:
        got = find(state, "held", want["kind"], set(want["participants"]))
        assert got, f"held {want} missing"
        best = max(got, key=lambda i: i["sources"])
        assert best["sources"] >= want["min_sources"], (best["label"], best["sources"])
        if "where" in want:
            assert best["place"] == want["where"], best["label"]
    agreements = state["sections"]["agreements"]
    for want in g["agreements"]:
        words = want["what"].split()
        got = [a for a in agreements if all(any(w[:6] in str(v).lower() for v in a["object_variants"]) for w in words)]
        assert got, f"agreement {want} missing"
        best = max(got, key=lambda i: i["sources"])
        assert best["sources"] >= want["min_sources"] and best["value"] == want["value"], best
    assert state["ceasefire"]["status"] == g["ceasefire"]
    killed = [c for c in state["conflicts"] if c["about"] == "killed"]
    assert killed, "no casualty-count conflict"
    want_files = g["conflicts"][0]["sources"]
    for conflict in killed:
        values = {v["value"] for v in conflict["values"]}
        said = {s["article_id"] for v in conflict["values"] for s in v["said_by"]}
        if set(g["conflicts"][0]["values"]) <= values and {names[f] for f in want_files} <= said:
            break
    else:
        raise AssertionError(f"no conflict with values {g['conflicts'][0]['values']}: {killed}")
    titles = [c for c in state["conflicts"] if c["about"] == "title"]
    assert any(set(g["conflicts"][1]["values"]) <= {v["value"] for v in c["values"]} for c in titles), titles
    assert len(state["sections"]["stories"]) == 1 and state["sections"]["stories"][0]["size"] == 5


def assert_gold_proposals(state: dict[str, Any]) -> None:
    props = state["sections"]["proposals"]

    def best(pred: Any) -> int:
        return max((p["sources"] for p in props if pred(" ".join(map(str, p["object_variants"])).lower())), default=0)

    assert best(lambda t: "30" in t and "ceasefire" in t) >= 3
    assert best(lambda t: "host" in t) >= 1
    assert best(lambda t: ("summit" in t or "meeting" in t) and "putin" in t) >= 2
