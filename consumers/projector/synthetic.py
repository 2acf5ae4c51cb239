"""Events built by hand, for tests and the benchmark (pure; nothing here runs in the service).

* :func:`gold_events` turns the hand annotations of ``../shared/eval/seeds.gold.json`` into
  ``entities.extracted`` and ``claims.extracted`` events for given article events, so the view can
  be tested before (and independently of) the real extractors.
* :func:`claim_stream` makes a large, reproducible stream of synthetic claims events.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from newswire import events, ids
from newswire.events import Envelope
from newswire.records import ArticleIngested, Extraction, Origin

EXTRACTOR_GOLD = "gold@1"
SOURCE = "urn:newswire:test"
_BOUNDARY = re.compile(r"[.!?][”\"’]?\s+(?=[A-Z“\"])|\n+")


def _sentences(body: str) -> list[tuple[int, int]]:
    """Rough sentence spans; abbreviations such as ``U.S.`` do not end a sentence."""
    out: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(body):
        word = body[max(0, m.start() - 4) : m.start() + 1].split()[-1:] or [""]
        if m.group()[0] == "." and re.search(r"(^|\W)([A-Z]\.)+[A-Z]?\.?$|^(Mr|Ms|Mrs|Dr|St)\.$", word[0]):
            continue
        end = m.start() + (1 if m.group()[0] in ".!?" else 0)
        if body[start:end].strip():
            out.append((start, end))
        start = m.end()
    if body[start:].strip():
        out.append((start, len(body)))
    return out


def _locate(body: str, needles: Sequence[str]) -> tuple[int, int, int, int, str]:
    """(start, end, sentence start, sentence end, sentence) of the first needle found."""
    low = body.lower()
    for needle in needles:
        if not needle:
            continue
        pos = low.find(needle.lower())
        if pos >= 0:
            for s, e in _sentences(body):
                if s <= pos < e:
                    return pos, min(pos + len(needle), e), s, e, body[s:e]
    s, e = _sentences(body)[0] if body.strip() else (0, 0)
    return s, e, s, e, body[s:e]


def _evidence(body: str, needles: Sequence[str]) -> dict[str, Any]:
    start, end, ss, se, sentence = _locate(body, needles)
    return {"start": start, "end": end, "sentence_start": ss, "sentence_end": se, "sentence": sentence}


def _names(gold: Mapping[str, Any], eid: str) -> list[str]:
    ent = gold["entities"].get(eid, {})
    return [ent.get("name", eid), *ent.get("aliases", [])]


def gold_entities_data(article: Envelope, gold: Mapping[str, Any], key: str) -> dict[str, Any]:
    body = str(article.data["body"])
    ents = []
    for eid in gold["articles"][key]["entities"]:
        meta = gold["entities"][eid]
        mentions: list[dict[str, Any]] = []
        for name in sorted(set(_names(gold, eid)), key=len, reverse=True):
            for m in re.finditer(r"\b" + re.escape(name) + r"\b", body):
                if any(x["start"] <= m.start() < x["end"] for x in mentions):
                    continue
                ss, se = next(((s, e) for s, e in _sentences(body) if s <= m.start() < e), (0, len(body)))
                mentions.append(
                    {
                        "text": m.group(),
                        "start": m.start(),
                        "end": m.end(),
                        "sentence": {"index": 0, "start": ss, "end": se},
                    }
                )
        if not mentions:
            continue
        mentions.sort(key=lambda x: x["start"])
        ents.append(
            {
                "id": eid,
                "name": meta["name"],
                "type": meta["type"],
                "mentions": mentions,
                "count": len(mentions),
                "salience": min(1.0, len(mentions) / 10),
            }
        )
    return {
        "article_id": article.data["article_id"],
        "revision": article.data["revision"],
        "extractor": EXTRACTOR_GOLD,
        "outcome": {"status": "ok" if ents else "empty", "reason": None},
        "entities": ents,
    }


def gold_claims_data(article: Envelope, gold: Mapping[str, Any], key: str) -> dict[str, Any]:
    body = str(article.data["body"])
    ann = gold["articles"][key]
    claims: list[dict[str, Any]] = []

    def cid(*parts: Any) -> str:
        return ids.stable_id("clm", str(article.data["article_id"]), *map(str, parts))

    outlet = {"kind": "outlet", "entity": None, "text": str(article.data["outlet"])}
    for i, q in enumerate(ann.get("quotes", [])):
        claims.append(
            {
                "id": cid("q", i),
                "kind": "quote",
                "asserted_by": {"kind": "source", "entity": q["speaker"], "text": _names(gold, q["speaker"])[0]},
                "confidence": 0.9,
                "evidence": _evidence(body, [q["contains"]]),
                "quote": {
                    "speaker": {"entity": q["speaker"], "text": _names(gold, q["speaker"])[0]},
                    "cue": "said",
                    "text": q["contains"],
                    "direct": True,
                },
            }
        )
    for i, c in enumerate(ann.get("counts", [])):
        note = str(c.get("note", ""))
        place = next((eid for eid in gold["entities"] if any(n and n in note for n in _names(gold, eid))), None)
        value = c["value"]
        needles = [f"{value:,}", str(value), *(note.split(",")[0:1])]
        claims.append(
            {
                "id": cid("c", i),
                "kind": "count",
                "asserted_by": outlet,
                "confidence": 0.8,
                "evidence": _evidence(body, needles),
                "count": {
                    "category": c["category"],
                    "value": value,
                    "lower_bound": "at least" in note,
                    "actor": None,
                    "place": place,
                    "time": None,
                    "text": str(value),
                },
            }
        )
    for i, e in enumerate(ann.get("events", [])):
        needles = [n for p in e["participants"] for n in _names(gold, p)[1:2]] + [e.get("what", "")]
        claims.append(
            {
                "id": cid("e", i),
                "kind": "event",
                "asserted_by": outlet,
                "confidence": 0.7,
                "evidence": _evidence(body, [x for x in needles if x]),
                "event": {
                    "kind": e["kind"],
                    "participants": list(e["participants"]),
                    "place": e.get("where"),
                    "time": {"text": e["when"], "date": None} if e.get("when") else None,
                    "status": e["status"],
                    "object": e.get("what"),
                    "negated": False,
                },
            }
        )
    return {
        "article_id": article.data["article_id"],
        "revision": article.data["revision"],
        "extractor": EXTRACTOR_GOLD,
        "published": article.data.get("published"),
        "outcome": {"status": "ok" if claims else "empty", "reason": None},
        "claims": claims,
    }


def derived(article: Envelope, event_type: str, data: Mapping[str, Any], extractor: str = EXTRACTOR_GOLD) -> Envelope:
    return events.derive(
        article,
        event_type=event_type,
        event_id=ids.derived_event_id(event_type, article.id, extractor),
        source=SOURCE,
        extractor=extractor,
        data=data,
    )


def gold_events(articles: Mapping[str, Envelope], gold: Mapping[str, Any]) -> list[Envelope]:
    """For each gold file name → article event: the article, its entities and its claims events."""
    out: list[Envelope] = []
    for key in sorted(articles):
        art = articles[key]
        out.append(art)
        out.append(derived(art, events.ENTITIES_EXTRACTED, gold_entities_data(art, gold, key)))
        out.append(derived(art, events.CLAIMS_EXTRACTED, gold_claims_data(art, gold, key)))
    return out


# ------------------------------------------------------------------------------------------------
# a large synthetic stream (benchmark)

_PEOPLE = [f"person-{i}" for i in range(200)]
_PLACES = [f"place-{i}" for i in range(50)]
_KINDS = ("call", "meeting", "talks", "strike", "sanction", "proposal", "agreement")
_STATUS = {
    "call": "planned",
    "meeting": "held",
    "talks": "held",
    "strike": "held",
    "sanction": "threatened",
    "proposal": "proposed",
    "agreement": "agreed",
}
_OBJECTS = [f"{w} {n}" for w in ("ceasefire", "exchange", "deal", "corridor") for n in range(30)]


def claim_stream(
    n: int, seed: int = 1, claims_per_event: int = 4, articles: int | None = None, minutes_apart: int = 0
) -> Iterator[Envelope]:
    """``n`` claims events over ``articles`` articles (default n), drawn from a fixed-size world;
    dated over January 2026, or ``minutes_apart`` minutes one after the other from its start."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    n_articles = articles or n
    for i in range(n):
        aid = "art-" + f"{i % n_articles:020x}"
        claims = []
        for j in range(claims_per_event):
            sentence = f"Sentence {j} of article {i}."
            ev = {"start": 0, "end": 8, "sentence_start": 0, "sentence_end": len(sentence), "sentence": sentence}
            roll = rng.random()
            if roll < 0.6:
                kind = rng.choice(_KINDS)
                a, b = rng.sample(_PEOPLE[: 20 + rng.randrange(180)], 2)
                claims.append(
                    {
                        "id": f"c{i}-{j}",
                        "kind": "event",
                        "asserted_by": {"kind": "outlet", "text": "outlet"},
                        "confidence": 0.7,
                        "evidence": ev,
                        "event": {
                            "kind": kind,
                            "participants": [a, b],
                            "place": rng.choice(_PLACES) if rng.random() < 0.3 else None,
                            "time": None,
                            "status": _STATUS[kind],
                            "object": rng.choice(_OBJECTS) if kind in ("proposal", "agreement") else None,
                            "negated": False,
                        },
                    }
                )
            elif roll < 0.85:
                claims.append(
                    {
                        "id": f"c{i}-{j}",
                        "kind": "count",
                        "asserted_by": {"kind": "outlet", "text": "outlet"},
                        "confidence": 0.8,
                        "evidence": ev,
                        "count": {
                            "category": rng.choice(("killed", "injured", "drones_launched")),
                            "value": rng.randrange(1, 20),
                            "lower_bound": False,
                            "place": rng.choice(_PLACES),
                        },
                    }
                )
            else:
                who = rng.choice(_PEOPLE[:50])
                claims.append(
                    {
                        "id": f"c{i}-{j}",
                        "kind": "quote",
                        "asserted_by": {"kind": "source", "entity": who, "text": who},
                        "confidence": 0.9,
                        "evidence": ev,
                        "quote": {
                            "speaker": {"entity": who, "text": who},
                            "cue": "said",
                            "text": sentence,
                            "direct": True,
                        },
                    }
                )
        yield Envelope(
            id=ids.derived_event_id(events.CLAIMS_EXTRACTED, f"bench-{i}", "bench@1"),
            type=events.CLAIMS_EXTRACTED,
            source=SOURCE,
            subject=aid,
            time=(
                events.format_time(start + timedelta(minutes=i * minutes_apart))
                if minutes_apart
                else f"2026-01-{1 + i % 28:02d}T{i % 24:02d}:00:00Z"
            ),
            data={"article_id": aid, "revision": "0" * 24, "extractor": "bench@1", "published": None, "claims": claims},
            extractor="bench@1",
        )


_WIRE_WORDS = [f"word{i}" for i in range(3000)]
_CAST = [f"person-{i}" for i in range(12)] + [f"place-{i}" for i in range(6)]


def story_flood(n: int, seed: int = 1, changed_words: int = 8) -> Iterator[Envelope]:
    """``n`` articles of one long-running story, each with its entities event: rewrites of one
    wire text (``changed_words`` of its 150 words replaced), naming most of one cast, from 30
    outlets a minute apart — the articles of a story of the talks, as many as months bring."""
    rng = random.Random(seed)
    base = [rng.choice(_WIRE_WORDS) for _ in range(150)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(n):
        words = list(base)
        for _ in range(changed_words):
            words[rng.randrange(len(words))] = rng.choice(_WIRE_WORDS)
        aid = ids.article_id_for_text(f"flood {seed} {i}")
        when = events.format_time(start + timedelta(minutes=i))
        record = ArticleIngested(
            article_id=aid,
            revision="0" * 24,
            url=None,
            title=f"Report {i}",
            outlet=f"outlet-{i % 30}",
            published=when,
            body=" ".join(words) + ".",
            origin=Origin(kind="seed", path=f"flood-{i}.txt"),
            extraction=Extraction(outcome="text"),
        )
        article = record.envelope(SOURCE, start + timedelta(minutes=i))
        cast = rng.sample(_CAST, 10)
        yield article
        yield derived(
            article,
            events.ENTITIES_EXTRACTED,
            {
                "article_id": aid,
                "revision": record.revision,
                "extractor": "bench@1",
                "entities": [{"id": e, "name": e.title(), "type": "PERSON", "salience": 0.5} for e in cast],
            },
            extractor="bench@1",
        )
