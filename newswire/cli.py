"""``newswire`` command line: one entry point, one subcommand per role.

Subcommands live next to the code they run and are imported lazily by dotted name, so that
``newswire --help`` stays fast and the kernel never imports producers or consumers statically.
Every option that is also a setting reads the same ``NEWSWIRE_*`` environment variable.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from newswire import __version__, logs
from newswire.settings import ENV_NAMES, Settings, SettingsError
from newswire.signals import catch_early_signals

#: (module, description) — each module defines ``register(subparsers)``.
COMMAND_MODULES: tuple[str, ...] = (
    "newswire.commands",  # broker, topics, tail
    "ingestor.replay_cli",  # replay
    "ingestor.feeds_cli",  # ingest, feeds
    "consumers.cli",  # enrich, eval, project
    "newswire.up",  # up
)

EPILOG = (
    "Configuration comes from environment variables, the same in every mode:\n  "
    + "\n  ".join(ENV_NAMES)
    + "\nRun 'newswire COMMAND --help' for a command's options."
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newswire",
        description=(
            "Event-sourced newswire ingestion: feeds and article pages in, named entities and "
            "attributed claims out, and a live view of the current state of the talks."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"newswire {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # a role not built yet
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    catch_early_signals()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"newswire: configuration error: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level, settings.log_format)
    code: int = args.func(args, settings)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
