"""Quality floors of the claims extractor on the five seeds (the issue's acceptance bar).

Lowering a floor needs a reason in the commit message, not a quiet edit. The same figures are
printed by ``newswire eval claims --gold ../shared/eval/seeds.gold.json --seeds seeds``.
"""

from __future__ import annotations

import json

import pytest

from consumers.claims.evaluate import Scores, evaluate
from consumers.claims.extract import publication_date
from tests.conftest import GOLD, SEEDS

FLOORS = {
    "quote_recall": 0.90,
    "speaker_accuracy": 0.90,
    "count_precision": 0.85,
    "count_recall": 0.90,
    "event_precision": 0.75,
    "event_recall": 0.80,
}


@pytest.fixture(scope="module")
def scores() -> Scores:
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    texts = {p.name: p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt")}
    manifest = json.loads((SEEDS / "manifest.json").read_text(encoding="utf-8"))
    dates = {n: publication_date(m.get("published")) for n, m in manifest.items() if isinstance(m, dict)}
    total, per = evaluate(gold, texts, None, dates=dates)
    assert set(per) == set(gold["articles"])
    return total


def test_seed_floors(scores: Scores) -> None:
    got = {
        "quote_recall": scores.quotes.recall,
        "speaker_accuracy": scores.speaker_accuracy,
        "count_precision": scores.counts.precision,
        "count_recall": scores.counts.recall,
        "event_precision": scores.events.precision,
        "event_recall": scores.events.recall,
    }
    below = {k: round(v, 3) for k, v in got.items() if v < FLOORS[k]}
    assert not below, f"below the floors {FLOORS}: {below} (all: {got})"
