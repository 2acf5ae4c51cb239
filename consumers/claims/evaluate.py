"""``newswire eval claims``: precision and recall per claim kind against hand annotations.

Matching follows the gold file's own rules: quotes by speaker and a substring of the quote;
counts by category and value; events by kind and participant set (a superset of the gold
participants matches). A prediction is correct when it matches some gold item and a gold item is
found when some prediction matches it. Negated events ("no agreement was reached") state that
something did not happen and are left out of event precision. Speaker accuracy: of the gold
quotes whose text was extracted, the share attributed to the right speaker.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from newswire.settings import Settings

_WS = re.compile(r"\s+")


def _norm(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return _WS.sub(" ", text).strip().lower()


@dataclass
class Tally:
    predicted: int = 0
    correct: int = 0
    gold: int = 0
    found: int = 0
    missed: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.predicted += other.predicted
        self.correct += other.correct
        self.gold += other.gold
        self.found += other.found

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "predicted": self.predicted,
            "correct": self.correct,
            "gold": self.gold,
            "found": self.found,
        }


@dataclass
class Scores:
    quotes: Tally = field(default_factory=Tally)
    counts: Tally = field(default_factory=Tally)
    events: Tally = field(default_factory=Tally)
    speaker_seen: int = 0
    speaker_right: int = 0
    status_seen: int = 0
    status_right: int = 0

    def add(self, other: Scores) -> None:
        self.quotes.add(other.quotes)
        self.counts.add(other.counts)
        self.events.add(other.events)
        self.speaker_seen += other.speaker_seen
        self.speaker_right += other.speaker_right
        self.status_seen += other.status_seen
        self.status_right += other.status_right

    @property
    def speaker_accuracy(self) -> float:
        return self.speaker_right / self.speaker_seen if self.speaker_seen else 1.0

    @property
    def status_accuracy(self) -> float:
        return self.status_right / self.status_seen if self.status_seen else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "quote": self.quotes.as_dict(),
            "count": self.counts.as_dict(),
            "event": self.events.as_dict(),
            "speaker_accuracy": round(self.speaker_accuracy, 4),
            "event_status_accuracy": round(self.status_accuracy, 4),
        }


def score_article(claims: Sequence[Mapping[str, Any]], gold: Mapping[str, Any]) -> Scores:
    """Score one article's claims (``claims.extracted`` data items) against its gold entry."""
    s = Scores()
    quotes = [c["quote"] for c in claims if c["kind"] == "quote"]
    counts = [c["count"] for c in claims if c["kind"] == "count"]
    events = [c["event"] for c in claims if c["kind"] == "event" and not c["event"].get("negated")]

    gq = gold.get("quotes", [])
    s.quotes.gold, s.quotes.predicted = len(gq), len(quotes)
    hits: set[int] = set()
    for g in gq:
        want = _norm(g["contains"])
        same_text = [i for i, q in enumerate(quotes) if want in _norm(q["text"])]
        right = [i for i in same_text if q_speaker(quotes[i]) == g["speaker"]]
        if same_text:
            s.speaker_seen += 1
            s.speaker_right += bool(right)
        if right:
            s.quotes.found += 1
            hits.update(right)
        else:
            s.quotes.missed.append(f"{g['speaker']}: {g['contains']}")
    s.quotes.correct = len(hits)

    gc = gold.get("counts", [])
    s.counts.gold, s.counts.predicted = len(gc), len(counts)
    keys = {(g["category"], float(g["value"])) for g in gc}
    for g in gc:
        if any(c["category"] == g["category"] and float(c["value"]) == float(g["value"]) for c in counts):
            s.counts.found += 1
        else:
            s.counts.missed.append(f"{g['category']}={g['value']}")
    for c in counts:
        if (c["category"], float(c["value"])) in keys:
            s.counts.correct += 1
        else:
            s.counts.wrong.append(f"{c['category']}={c['value']} «{c.get('text', '')}»")

    ge = gold.get("events", [])
    s.events.gold, s.events.predicted = len(ge), len(events)

    def matches(e: Mapping[str, Any], g: Mapping[str, Any]) -> bool:
        return bool(e["kind"] == g["kind"] and set(g["participants"]) <= set(e["participants"]))

    for g in ge:
        found = [e for e in events if matches(e, g)]
        if found:
            s.events.found += 1
            s.status_seen += 1
            s.status_right += any(e["status"] == g["status"] for e in found)
        else:
            s.events.missed.append(f"{g['kind']} {sorted(g['participants'])} {g['status']}")
    for e in events:
        if any(matches(e, g) for g in ge):
            s.events.correct += 1
        else:
            s.events.wrong.append(f"{e['kind']} {e['participants']} {e['status']}")
    return s


def q_speaker(quote: Mapping[str, Any]) -> str | None:
    speaker = quote.get("speaker") or {}
    entity = speaker.get("entity")
    return str(entity) if entity else None


def evaluate(
    gold: Mapping[str, Any],
    texts: Mapping[str, str],
    published: date | None,
    outlet: str = "outlet",
    dates: Mapping[str, date | None] | None = None,
) -> tuple[Scores, dict[str, Scores]]:
    """Run the extractor over the gold articles and score them (loads the spaCy model).

    ``dates`` gives a publication date per article (from a seeds manifest); ``published`` is
    the fallback."""
    from consumers.claims.extract import extract_claims, parse
    from consumers.nlp.model import load_model

    nlp = load_model()
    names = [n for n in gold["articles"] if n in texts]
    docs = parse(nlp, [texts[n] for n in names])
    total = Scores()
    per: dict[str, Scores] = {}
    for name, doc in zip(names, docs, strict=True):
        when = (dates or {}).get(name) or published
        claims = extract_claims(doc, outlet=outlet, published=when)
        data = [c.to_data(name, "eval") for c in claims]
        scores = score_article(data, gold["articles"][name])
        per[name] = scores
        total.add(scores)
    return total, per


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--gold", required=True, type=Path, help="gold annotations (seeds.gold.json)")
    parser.add_argument(
        "--seeds", type=Path, default=None, help="article texts (default: ../seeds beside the gold file's folder)"
    )
    parser.add_argument(
        "--published", default=None, help="publication date of the articles (YYYY-MM-DD) for time normalization"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--verbose", "-v", action="store_true", help="list misses and wrong predictions")


def _seed_dir(gold_path: Path, explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    for candidate in (gold_path.parent.parent / "seeds", gold_path.parent / "seeds", Path("seeds")):
        if candidate.is_dir():
            return candidate
    raise SystemExit(f"no seeds directory found near {gold_path}; pass --seeds")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from consumers.claims.extract import publication_date

    gold = json.loads(args.gold.read_text(encoding="utf-8"))
    seeds = _seed_dir(args.gold, args.seeds)
    texts = {p.name: p.read_text(encoding="utf-8") for p in seeds.iterdir() if p.name in gold["articles"]}
    manifest_path = seeds / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
    dates = {
        name: publication_date(meta.get("published"))
        for name, meta in manifest.items()
        if isinstance(meta, dict) and name in texts
    }
    total, per = evaluate(gold, texts, publication_date(args.published), dates=dates)
    if args.json:
        out = {"overall": total.as_dict(), "articles": {k: v.as_dict() for k, v in per.items()}}
        print(json.dumps(out, indent=2))
        return 0
    print(f"{'article':<28} {'kind':<6} {'P':>6} {'R':>6} {'pred':>5} {'gold':>5}")
    for name, sc in [*per.items(), ("OVERALL", total)]:
        for kind, t in (("quote", sc.quotes), ("count", sc.counts), ("event", sc.events)):
            print(f"{name:<28} {kind:<6} {t.precision:6.3f} {t.recall:6.3f} {t.predicted:5d} {t.gold:5d}")
        print(f"{name:<28} speaker accuracy {sc.speaker_accuracy:.3f}   event status accuracy {sc.status_accuracy:.3f}")
        if args.verbose and name != "OVERALL":
            for kind, t in (("quote", sc.quotes), ("count", sc.counts), ("event", sc.events)):
                for m in t.missed:
                    print(f"    missed {kind}: {m}")
                for w in t.wrong:
                    print(f"    wrong  {kind}: {w}")
    sys.stdout.flush()
    return 0
