"""Figures of the fault suite and the soak, appended to ``bench/RESULTS.md`` (the README links it).

Each figure is printed as ``FIGURE name: text`` (so a CI log shows it) and appended as one
markdown row with the date, the commit and the machine's core count, so runs accumulate and can be
compared. ``NEWSWIRE_RESULTS`` names another file (or ``-`` for print only).
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADER = (
    "# Fault and load figures\n\n"
    "Appended by `make faults` (tests/faults) and `python -m bench.soak`: one row per figure and run.\n"
    "Timings are from the machine named in the row (cores), often shared and noisy: the tests\n"
    "assert on correctness (ids, counts, hashes), never on speed.\n\n"
    "| when (UTC) | commit | cores | figure | result |\n|---|---|---|---|---|\n"
)


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=RESULTS.parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except OSError:
        return "?"
    return out.stdout.strip() or "?"


def record(name: str, text: str, detail: str | None = None) -> str:
    """Print ``FIGURE name: text`` (and any multi-line detail) and append a row to the results file."""
    line = f"FIGURE {name}: {text}"
    print(line, flush=True)
    if detail:
        print(detail, flush=True)
    target = os.environ.get("NEWSWIRE_RESULTS", str(RESULTS))
    if target == "-":
        return line
    path = Path(target)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    row = f"| {when} | {_commit()} | {os.cpu_count()} | {name} | {text.replace('|', '/')} |\n"
    if not path.exists():
        path.write_text(HEADER, encoding="utf-8")
    with path.open("a", encoding="utf-8") as f:
        f.write(row)
    return line
