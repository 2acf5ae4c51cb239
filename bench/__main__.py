"""Run every benchmark: ``python -m bench`` (or ``python -m bench NAME ...``)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

#: helpers, and the soak (minutes long: run it on its own with python -m bench.soak)
SKIP = {"common", "__main__", "results", "soak"}


def main() -> None:
    here = Path(__file__).parent
    names = sys.argv[1:] or sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name not in SKIP)
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        if hasattr(module, "main"):
            module.main([])


if __name__ == "__main__":
    main()
