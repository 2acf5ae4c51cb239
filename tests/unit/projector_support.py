"""Seed-derived events for the projector tests: the seed articles (as the replay makes them) plus
entities and claims events built from the hand annotations of ``../shared/eval/seeds.gold.json``."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from consumers.projector.synthetic import gold_events
from ingestor.seeds import Debris, SeedMeta, parse_article_text
from newswire import events
from newswire.events import Envelope
from newswire.records import ArticleIngested
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


def gold_state_problems(state: dict[str, Any], names: dict[str, str]) -> list[str]:
    """What of the ``state`` section of the gold file a rendered view does not hold (empty = all).

    ``names`` maps gold file names to article ids (conflict sources are listed by file).
    """
    g = gold()["state"]
    problems: list[str] = []
    for want in g["upcoming"]:
        got = find(state, "upcoming", want["kind"], set(want["participants"]))
        best = max(got, key=lambda i: i["sources"]) if got else None
        if best is None or best["sources"] < want["min_sources"]:
            problems.append(f"upcoming {want}: best {best and (best['label'], best['sources'])}")
        elif want["when_contains"].lower() not in str(best.get("time_text", "")).lower():
            problems.append(f"upcoming {want}: when is {best.get('time_text')}")
    for want in g["held"]:
        got = find(state, "held", want["kind"], set(want["participants"]))
        best = max(got, key=lambda i: i["sources"]) if got else None
        if best is None or best["sources"] < want["min_sources"]:
            problems.append(f"held {want}: best {best and (best['label'], best['sources'])}")
        elif "where" in want and best["place"] != want["where"]:
            problems.append(f"held {want}: place {best['place']}")
    agreements = state["sections"]["agreements"]
    for want in g["agreements"]:
        words = want["what"].split()
        got = [a for a in agreements if all(any(w[:6] in str(v).lower() for v in a["object_variants"]) for w in words)]
        best = max(got, key=lambda i: i["sources"]) if got else None
        if best is None or best["sources"] < want["min_sources"] or best["value"] != want["value"]:
            problems.append(f"agreement {want}: best {best and (best['label'], best['sources'], best['value'])}")
    if state["ceasefire"]["status"] != g["ceasefire"]:
        problems.append(f"ceasefire is {state['ceasefire']['status']}")
    killed = [c for c in state["conflicts"] if c["about"] == "killed"]
    want_files = g["conflicts"][0]["sources"]
    if not any(
        set(g["conflicts"][0]["values"]) <= {v["value"] for v in c["values"]}
        and {names[f] for f in want_files} <= {s["article_id"] for v in c["values"] for s in v["said_by"]}
        for c in killed
    ):
        problems.append(f"no casualty conflict {g['conflicts'][0]['values']} from {want_files}: {killed}")
    titles = [c for c in state["conflicts"] if c["about"] == "title"]
    if not any(set(g["conflicts"][1]["values"]) <= {v["value"] for v in c["values"]} for c in titles):
        problems.append(f"no title conflict {g['conflicts'][1]['values']}")
    stories = state["sections"]["stories"]
    if len(stories) != 1 or stories[0]["size"] != 5:
        problems.append(f"stories: {[s['size'] for s in stories]}")
    return problems


def assert_gold_state(state: dict[str, Any], names: dict[str, str]) -> None:
    problems = gold_state_problems(state, names)
    assert not problems, "\n".join(problems)


def assert_gold_proposals(state: dict[str, Any]) -> None:
    problems = gold_proposal_problems(state)
    assert not problems, "\n".join(problems)


def gold_proposal_problems(state: dict[str, Any]) -> list[str]:
    """The open proposals the gold lists that a rendered view does not hold, by their words."""
    props = state["sections"]["proposals"]

    def best(pred: Any) -> int:
        def text(p: dict[str, Any]) -> str:
            return " ".join([p["label"], *map(str, p["object_variants"])]).lower()

        return max((p["sources"] for p in props if pred(text(p))), default=0)

    wanted = {
        "a 30-day ceasefire, 3 sources": best(lambda t: "30" in t and "ceasefire" in t) >= 3,
        "an offer to host, 1 source": best(lambda t: "host" in t) >= 1,
        "a Putin summit or meeting, 2 sources": best(lambda t: ("summit" in t or "meeting" in t) and "putin" in t) >= 2,
    }
    return [f"proposal: {what}" for what, ok in wanted.items() if not ok]


OTHER_STORY = (
    "Harvest festival draws record crowds\n\n"
    + "Farmers brought pumpkins, apples and cider to the market square on Saturday, and the "
    "organisers counted more visitors than in any year before. Bakers sold out by noon, a brass "
    "band played until dusk, and children raced wheelbarrows along the river path. " * 3
)


def other_story_article(epoch: float, loop: int) -> Envelope:
    """An article no seed resembles (a story of its own), published at ``epoch``."""
    when = datetime.fromtimestamp(epoch, UTC)
    meta = SeedMeta(published=events.format_time(when))
    rec = parse_article_text("harvest.txt", OTHER_STORY, meta, Debris.load(), loop=loop)
    assert isinstance(rec, ArticleIngested), rec
    return rec.envelope("urn:newswire:test", when)


@cache
def seeds_over_days(days: int) -> tuple[Envelope, ...]:
    """The seeds published again each day for ``days`` days (articles, entities, claims), and on
    the first day an article of another story."""
    out: list[Envelope] = [other_story_article(datetime(2026, 5, 18, 6, tzinfo=UTC).timestamp(), loop=1)]
    for day in range(days):
        shifted = {}
        for name, env in seed_articles(loop=day + 1).items():
            when = events.parse_time(env.time) + timedelta(days=day)
            shifted[name] = replace(env, time=events.format_time(when))
        out.extend(gold_events(shifted, gold()))
    return tuple(out)
