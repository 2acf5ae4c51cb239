"""The pure cores compiled to C with mypyc, used only when built from the sources as they are.

The projector folds tens of thousands of events a second into its view while it catches up,
and CPython spends most of that time interpreting small dict and tuple operations. The pure
modules listed in :data:`MODULES` are plain typed Python (``mypy --strict``); mypyc compiles
them, unchanged, to C extensions that run the same code several times faster.

``python -m newswire.build_core`` (run by ``scripts/bootstrap`` and the Docker build) writes
the extensions to ``newswire/_compiled/`` with a manifest of the sources' digests. A package that
holds compiled modules calls :func:`extend_path` from its ``__init__``: when the manifest matches
the sources on disk and the interpreter, the compiled directory goes first on the package's
``__path__`` and the compiled modules are imported instead of the ``.py`` files. When it does
not (a source was edited since, no compiler on the machine, another Python), the sources are
imported as they are, so a stale build is never run; ``python -m newswire.build_core`` says
which is in use and why (``--status``). ``NEWSWIRE_PURE_PYTHON=1`` forces the sources.

No Kafka, no clock: an import hook (the build is :mod:`newswire.build_core`).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import sysconfig
from functools import cache
from pathlib import Path

#: The modules compiled together (one mypyc group: calls between them are direct C calls).
MODULES: tuple[str, ...] = (
    "newswire.frozen",
    "consumers.projector.datespan",
    "consumers.projector.facts",
    "consumers.projector.items",
    "consumers.projector.merge",
    "consumers.projector.ranking",
    "consumers.projector.records",
    "consumers.projector.regions",
    "consumers.projector.rows",
    "consumers.projector.seen",
    "consumers.projector.siggroup",
    "consumers.projector.view",
    "consumers.projector.window",
)
#: Name of the shared library of the group (a top-level module of the compiled directory).
GROUP = "newswire_core"
ROOT = Path(__file__).resolve().parent.parent  # the directory that holds the packages
ARTIFACTS = Path(__file__).resolve().parent / "_compiled"
MANIFEST = "manifest.json"
PURE_ENV = "NEWSWIRE_PURE_PYTHON"


def source_of(module: str) -> Path:
    return ROOT.joinpath(*module.split(".")).with_suffix(".py")


def source_digests() -> dict[str, str]:
    return {m: hashlib.sha256(source_of(m).read_bytes()).hexdigest() for m in MODULES}


def interpreter() -> str:
    """What a build is only good for: the extension suffix names the Python version and ABI."""
    return str(sysconfig.get_config_var("EXT_SUFFIX"))


@cache
def status() -> tuple[bool, str]:
    """(whether the compiled modules are used, why)."""
    if os.environ.get(PURE_ENV, "").strip().lower() in ("1", "true", "yes", "on"):
        return False, f"{PURE_ENV} is set"
    try:
        manifest = json.loads((ARTIFACTS / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return False, "not built (python -m newswire.build_core)"
    except (OSError, ValueError) as exc:
        return False, f"manifest unreadable: {exc}"
    if manifest.get("interpreter") != interpreter():
        return False, f"built for {manifest.get('interpreter')}, running {interpreter()}"
    try:
        current = source_digests()
    except OSError as exc:
        return False, f"sources unreadable: {exc}"
    stale = sorted(m for m in MODULES if manifest.get("sources", {}).get(m) != current[m])
    if stale:
        return False, f"sources changed since the build: {', '.join(stale)}"
    return True, f"built {manifest.get('built_at', '?')}"


def extend_path(package_path: list[str], package: str) -> None:
    """Put the compiled modules of ``package`` first on its ``__path__`` when the build is current."""
    used, _why = status()
    if not used:
        return
    compiled = ARTIFACTS.joinpath(*package.split("."))
    if not compiled.is_dir() or str(compiled) in package_path:
        return
    if str(ARTIFACTS) not in sys.path:
        sys.path.append(str(ARTIFACTS))  # the group's shared library, imported by the modules
    package_path.insert(0, str(compiled))


def in_use(module: object) -> bool:
    """Whether an imported module is a compiled one."""
    return str(getattr(module, "__file__", "")).endswith(interpreter())
