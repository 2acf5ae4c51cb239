"""``newswire eval entities --gold PATH``: document-level entity precision, recall and F1.

Scoring follows the rules written in the gold file's ``about``: for each article, every id in
``entities`` must be found (recall); anything emitted outside ``entities`` + ``optional`` whose type
is PERSON, ORG, GPE or LOC counts against precision; ``optional`` ids neither help nor hurt.
Figures are given per article and micro-averaged over all articles.

The articles are the text files named by the gold file's ``articles`` keys, read from ``--seeds``
(default: the ``seeds`` directory beside the gold file's directory, else ``./seeds``). The whole
file is analysed, page chrome included, exactly as the service would analyse such a body.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from consumers.entities import core
from newswire.settings import Settings

#: Types that count against precision when emitted outside the gold lists.
SCORED_TYPES = frozenset({"PERSON", "ORG", "GPE", "LOC"})


@dataclass(frozen=True)
class ArticleScore:
    name: str
    true_positives: tuple[str, ...]
    false_negatives: tuple[str, ...]
    false_positives: tuple[str, ...]

    @property
    def precision(self) -> float:
        return _ratio(len(self.true_positives), len(self.true_positives) + len(self.false_positives))

    @property
    def recall(self) -> float:
        return _ratio(len(self.true_positives), len(self.true_positives) + len(self.false_negatives))

    @property
    def f1(self) -> float:
        return _f1(self.precision, self.recall)


@dataclass(frozen=True)
class Report:
    articles: tuple[ArticleScore, ...]

    @property
    def tp(self) -> int:
        return sum(len(a.true_positives) for a in self.articles)

    @property
    def fp(self) -> int:
        return sum(len(a.false_positives) for a in self.articles)

    @property
    def fn(self) -> int:
        return sum(len(a.false_negatives) for a in self.articles)

    @property
    def precision(self) -> float:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float:
        return _f1(self.precision, self.recall)

    def as_dict(self) -> dict[str, Any]:
        return {
            "micro": {
                "precision": round(self.precision, 4),
                "recall": round(self.recall, 4),
                "f1": round(self.f1, 4),
                "tp": self.tp,
                "fp": self.fp,
                "fn": self.fn,
            },
            "articles": {
                a.name: {
                    "precision": round(a.precision, 4),
                    "recall": round(a.recall, 4),
                    "f1": round(a.f1, 4),
                    "missed": list(a.false_negatives),
                    "spurious": list(a.false_positives),
                }
                for a in self.articles
            },
        }


def _ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score_article(
    name: str, predicted: Mapping[str, str], gold: Sequence[str], optional: Sequence[str] = ()
) -> ArticleScore:
    """Score one article's predicted ``id → type`` against its gold ids (pure)."""
    gold_set, ignore = set(gold), set(gold) | set(optional)
    return ArticleScore(
        name=name,
        true_positives=tuple(sorted(gold_set & set(predicted))),
        false_negatives=tuple(sorted(gold_set - set(predicted))),
        false_positives=tuple(sorted(i for i, t in predicted.items() if i not in ignore and t in SCORED_TYPES)),
    )


def evaluate(
    gold: Mapping[str, Any],
    texts: Mapping[str, str],
    nlp: Any,
    gazetteer: Any = None,
) -> Report:
    """Run the extraction over ``texts`` (name → text) and score it against ``gold``."""
    names = sorted(gold["articles"])
    results = core.extract_batch(nlp, [(texts[n], None) for n in names], gazetteer)
    scores = []
    for name, result in zip(names, results, strict=True):
        spec = gold["articles"][name]
        predicted = core.entity_ids(result.entities.entities)
        scores.append(score_article(name, predicted, spec.get("entities", []), spec.get("optional", [])))
    return Report(tuple(scores))


def default_seeds_dir(gold_path: Path) -> Path:
    beside = gold_path.resolve().parent.parent / "seeds"
    return beside if beside.is_dir() else Path("seeds")


def load_texts(gold: Mapping[str, Any], seeds: Path) -> dict[str, str]:
    return {name: (seeds / name).read_text(encoding="utf-8") for name in gold["articles"]}


def print_report(report: Report, out: TextIO) -> None:
    out.write(f"{'article':34} {'P':>6} {'R':>6} {'F1':>6}  missed / spurious\n")
    for a in report.articles:
        extra = f"{', '.join(a.false_negatives) or '-'} / {', '.join(a.false_positives) or '-'}"
        out.write(f"{a.name:34} {a.precision:6.3f} {a.recall:6.3f} {a.f1:6.3f}  {extra}\n")
    out.write(
        f"{'micro':34} {report.precision:6.3f} {report.recall:6.3f} {report.f1:6.3f}  "
        f"tp={report.tp} fp={report.fp} fn={report.fn}\n"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--gold", type=Path, required=True, help="gold annotations (JSON)")
    parser.add_argument("--seeds", type=Path, default=None, help="directory of the article text files")
    parser.add_argument("--aliases", action="append", type=Path, default=None, help="extra alias file(s)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--min-f1", type=float, default=0.0, help="exit 1 if micro F1 is below this")


def run(args: argparse.Namespace, _settings: Settings) -> int:
    from consumers.nlp.model import alias_paths, configured_gazetteer, load_model

    gold = json.loads(args.gold.read_text(encoding="utf-8"))
    seeds = args.seeds or default_seeds_dir(args.gold)
    texts = load_texts(gold, seeds)
    gazetteer = configured_gazetteer(tuple(args.aliases) if args.aliases else alias_paths())
    report = evaluate(gold, texts, load_model(), gazetteer)
    if args.json:
        sys.stdout.write(json.dumps(report.as_dict(), indent=2) + "\n")
    else:
        print_report(report, sys.stdout)
    return 1 if report.f1 < args.min_f1 else 0
