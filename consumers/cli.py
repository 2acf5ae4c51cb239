"""Subcommands of the consumer side: ``enrich entities|claims``, ``eval entities|claims``, ``project``.

Each subcommand names the module that implements it; that module provides
``add_arguments(parser)`` (optional) and ``run(args, settings) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any

from newswire.settings import Settings

ENRICHERS = {
    "entities": ("consumers.entities.service", "named entities of each article → newswire.entities.v1"),
    "claims": ("consumers.claims.service", "quotes, counts and events of each article → newswire.claims.v1"),
}
EVALUATORS = {
    "entities": ("consumers.entities.evaluate", "entity precision/recall/F1 against a gold file"),
    "claims": ("consumers.claims.evaluate", "claim precision/recall per kind against a gold file"),
}
PROJECTOR = ("consumers.projector.service", "the live view of the talks: consume, project, serve HTTP")


def _bind(parser: argparse.ArgumentParser, module_name: str) -> None:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            parser.set_defaults(func=_missing(module_name))
            return
        raise
    if hasattr(module, "add_arguments"):
        module.add_arguments(parser)

    def run(args: argparse.Namespace, settings: Settings) -> int:
        return int(module.run(args, settings))

    parser.set_defaults(func=run)


def _missing(module_name: str) -> Any:
    def run(_args: argparse.Namespace, _settings: Settings) -> int:
        print(f"newswire: {module_name} is not built yet")
        return 2

    return run


def register(sub: Any) -> None:
    enrich = sub.add_parser("enrich", help="run an enrichment consumer group")
    esub = enrich.add_subparsers(dest="enricher", required=True)
    for name, (module_name, text) in ENRICHERS.items():
        _bind(esub.add_parser(name, help=text, description=text), module_name)
    ev = sub.add_parser("eval", help="measure extraction quality against hand annotations")
    evsub = ev.add_subparsers(dest="evaluator", required=True)
    for name, (module_name, text) in EVALUATORS.items():
        _bind(evsub.add_parser(name, help=text, description=text), module_name)
    module_name, text = PROJECTOR
    _bind(sub.add_parser("project", help=text, description=text), module_name)
