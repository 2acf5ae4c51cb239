"""``make bench`` (``python -m bench``) calls every benchmark module's ``main([])``: each must take argv."""

from __future__ import annotations

import ast
from pathlib import Path

from bench.__main__ import SKIP

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_every_benchmark_main_takes_an_argv_list() -> None:
    checked = []
    for path in sorted(BENCH.glob("*.py")):
        if path.stem in SKIP or path.stem.startswith("_"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        mains = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main"]
        if not mains:
            continue
        args = mains[0].args
        assert len(args.args) == 1 and len(args.defaults) == 1, f"{path.name}: main(argv=None) expected"
        checked.append(path.stem)
    assert {"claims", "entities", "feeds", "projector", "replay"} <= set(checked)
