"""The word lists the claim rules read, loaded from the user-extensible ``data/*.toml`` files."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from consumers.nlp.canon import entity_id


def _load(name: str, directory: Path | None) -> dict[str, Any]:
    if directory is not None:
        return tomllib.loads((directory / name).read_text(encoding="utf-8"))
    text = resources.files("consumers.claims").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return tomllib.loads(text)


@dataclass(frozen=True)
class Category:
    name: str
    noun_class: str
    verbs: frozenset[str]
    context: frozenset[str]
    default: bool


@dataclass(frozen=True)
class Lexicon:
    """Every vocabulary the rules use; build with :meth:`load` (package data or a directory)."""

    speech_verbs: frozenset[str]
    indirect_verbs: frozenset[str]
    attribution_verbs: frozenset[str]
    role_nouns: frozenset[str]
    leader_titles: tuple[str, ...]
    group_nouns: frozenset[str]
    side_nouns: frozenset[str]
    person_pronouns: frozenset[str]
    plural_pronouns: frozenset[str]
    min_quote_words: int
    hedges: tuple[str, ...]
    number_words: dict[str, int]
    lower_bound: tuple[str, ...]
    strict_lower_bound: frozenset[str]
    anaphoric_nouns: frozenset[str]
    not_counted: frozenset[str]
    tolls: dict[str, str]
    noun_classes: dict[str, frozenset[str]]
    categories: tuple[Category, ...]
    duration_units: dict[str, tuple[frozenset[str], frozenset[str]]]
    event_nouns: dict[str, str]
    event_verbs: dict[str, str]
    needs_prep: dict[str, frozenset[str]]
    strike_modifiers: frozenset[str]
    prep_kind: dict[str, dict[str, str]]
    strike_agent_verbs: frozenset[str]
    commentary_verbs: frozenset[str]
    respondent_verbs: frozenset[str]
    sanction_heads: frozenset[str]
    proposing_modals: frozenset[str]
    call_markers: frozenset[str]
    call_marker_preps: frozenset[str]
    travel_verbs: frozenset[str]
    vague_objects: frozenset[str]
    in_force_nouns: frozenset[str]
    in_force_subject_verbs: dict[str, frozenset[str]]
    in_force_object_verbs: frozenset[str]
    inherit_from: dict[str, tuple[str, ...]]
    precedence: tuple[str, ...]
    status_cues: dict[str, str]
    kind_status_cues: dict[str, dict[str, str]]
    tenseless_verbs: frozenset[str]
    negation_dets: frozenset[str]
    negation_preps: frozenset[str]
    demonyms: dict[str, str]
    #: entity id of a capital or seat of government → (the state's id, its name)
    seats: dict[str, tuple[str, str]]
    weekdays: tuple[str, ...]
    months: tuple[str, ...]
    relative_days: dict[str, int]
    relative_weeks: dict[str, int]
    relative_months: dict[str, int]

    @classmethod
    def load(cls, directory: Path | None = None) -> Lexicon:
        cues = _load("cues.toml", directory)
        counts = _load("counts.toml", directory)
        ev = _load("events.toml", directory)
        tm = _load("time.toml", directory)
        precedence = tuple(ev["precedence"])
        status_cues: dict[str, str] = {}
        # lower precedence first so that a word listed under two statuses takes the stronger one
        for status in reversed(precedence):
            for word in ev["status_cues"].get(status, []):
                status_cues[word] = status
        event_nouns = {w: kind for kind, words in ev["nouns"].items() for w in words}
        event_verbs = {w: kind for kind, words in ev["verbs"].items() for w in words}
        return cls(
            speech_verbs=frozenset(cues["speech_verbs"]),
            indirect_verbs=frozenset(cues["indirect_verbs"]),
            attribution_verbs=frozenset(cues["attribution_verbs"]),
            role_nouns=frozenset(cues["role_nouns"]),
            leader_titles=tuple(cues.get("leader_titles", [])),
            group_nouns=frozenset(cues.get("group_nouns", [])),
            side_nouns=frozenset(cues.get("side_nouns", [])),
            person_pronouns=frozenset(cues["person_pronouns"]),
            plural_pronouns=frozenset(cues["plural_pronouns"]),
            min_quote_words=int(cues["min_quote_words"]),
            hedges=tuple(cues.get("hedges", [])),
            number_words={k: int(v) for k, v in counts["number_words"].items()},
            lower_bound=tuple(sorted(counts["lower_bound"], key=len, reverse=True)),
            strict_lower_bound=frozenset(counts["strict_lower_bound"]),
            anaphoric_nouns=frozenset(counts["anaphoric_nouns"]),
            not_counted=frozenset(counts["not_counted"]),
            tolls=dict(counts.get("tolls", {})),
            noun_classes={k: frozenset(v) for k, v in counts["noun_classes"].items()},
            categories=tuple(
                Category(
                    c["name"],
                    c["noun_class"],
                    frozenset(c.get("verbs", [])),
                    frozenset(c.get("context", [])),
                    bool(c.get("default", False)),
                )
                for c in counts["category"]
            ),
            duration_units={k: (frozenset(v["units"]), frozenset(v["heads"])) for k, v in counts["durations"].items()},
            event_nouns=event_nouns,
            event_verbs=event_verbs,
            needs_prep={k: frozenset(v) for k, v in ev["needs_prep"].items()},
            strike_modifiers=frozenset(ev["strike_modifiers"]),
            strike_agent_verbs=frozenset(ev["strike_agent_verbs"]),
            commentary_verbs=frozenset(ev["commentary_verbs"]),
            respondent_verbs=frozenset(ev.get("respondent_verbs", [])),
            sanction_heads=frozenset(ev["sanction_heads"]),
            proposing_modals=frozenset(ev["proposing_modals"]),
            call_markers=frozenset(ev["call_markers"]),
            call_marker_preps=frozenset(ev["call_marker_preps"]),
            travel_verbs=frozenset(ev.get("travel_verbs", [])),
            vague_objects=frozenset(ev.get("vague_objects", [])),
            in_force_nouns=frozenset(ev.get("in_force", {}).get("nouns", [])),
            in_force_subject_verbs={
                k: frozenset(v) for k, v in ev.get("in_force", {}).get("subject_verbs", {}).items()
            },
            in_force_object_verbs=frozenset(ev.get("in_force", {}).get("object_verbs", [])),
            inherit_from={k: tuple(v) for k, v in ev["inherit_from"].items()},
            prep_kind={k: dict(v) for k, v in ev.get("prep_kind", {}).items()},
            precedence=precedence,
            status_cues=status_cues,
            kind_status_cues={k: dict(v) for k, v in ev.get("kind_status_cues", {}).items()},
            tenseless_verbs=frozenset(ev.get("tenseless_verbs", [])),
            negation_dets=frozenset(ev["negation"]["determiners"]),
            negation_preps=frozenset(ev["negation"]["prepositions"]),
            demonyms=dict(ev["demonyms"]),
            seats={entity_id(str(k)): (entity_id(str(v)), str(v)) for k, v in ev.get("seats", {}).items()},
            weekdays=tuple(tm["weekdays"]),
            months=tuple(tm["months"]),
            relative_days={k: int(v) for k, v in tm["relative_days"].items()},
            relative_weeks={k: int(v) for k, v in tm["relative_weeks"].items()},
            relative_months={k: int(v) for k, v in tm.get("relative_months", {}).items()},
        )


@functools.cache
def default_lexicon() -> Lexicon:
    """The packaged lexicon, loaded once per process."""
    return Lexicon.load()
