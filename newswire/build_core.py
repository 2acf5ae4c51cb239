"""Compile the pure cores with mypyc (see :mod:`newswire.compiled`): ``python -m newswire.build_core``.

Run by ``scripts/bootstrap`` (when a source changed since the last build) and by the Docker
build. It needs a C compiler and mypy (a development dependency), neither of which the
projector needs to run: without a current build it runs the same sources interpreted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from newswire.compiled import ARTIFACTS, GROUP, MANIFEST, MODULES, ROOT, interpreter, source_digests, source_of, status


def build() -> Path:
    """Compile :data:`MODULES` into :data:`ARTIFACTS` (replaced whole, with its manifest)."""
    from mypyc.build import mypycify  # a build-time dependency (mypy), not a runtime one
    from setuptools import Distribution
    from setuptools.command.build_ext import build_ext

    digests = source_digests()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="newswire-compile-") as tmp:
        cwd = os.getcwd()
        os.chdir(ROOT)  # mypyc names the modules after their paths
        try:
            paths = [str(source_of(m).relative_to(ROOT)) for m in MODULES]
            extensions = mypycify(paths, opt_level="3", group_name=GROUP, target_dir=f"{tmp}/c")
            command = build_ext(Distribution({"name": GROUP, "ext_modules": extensions}))
            command.build_lib = f"{tmp}/lib"
            command.build_temp = f"{tmp}/obj"
            command.ensure_finalized()
            command.run()
        finally:
            os.chdir(cwd)
        if source_digests() != digests:
            raise RuntimeError("the sources changed while they were compiled: build again")
        manifest = {
            "interpreter": interpreter(),
            "sources": digests,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "seconds": round(time.monotonic() - started, 1),
        }
        Path(f"{tmp}/lib/{MANIFEST}").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        staging = ARTIFACTS.with_name(ARTIFACTS.name + ".new")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(f"{tmp}/lib", staging)
        shutil.rmtree(ARTIFACTS, ignore_errors=True)
        staging.rename(ARTIFACTS)
    return ARTIFACTS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m newswire.build_core",
        description="Compile the projector's pure core with mypyc into newswire/_compiled (about a minute), "
        "then say whether the compiled modules are in use.",
    )
    parser.add_argument("--if-stale", action="store_true", help="build only when stale")
    parser.add_argument("--status", action="store_true", help="only say whether it is in use")
    args = parser.parse_args(argv)
    used, why = status()
    if not args.status and not (args.if_stale and used):
        started = time.monotonic()
        out = build()
        print(f"compiled {len(MODULES)} modules into {out} in {time.monotonic() - started:.0f} s")
        status.cache_clear()
        used, why = status()
    print(f"compiled core {'in use' if used else 'NOT in use'}: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
