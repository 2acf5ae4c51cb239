"""The README's first command: ``newswire up`` runs the whole pipeline and stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from newswire.broker import free_port
from tests.conftest import ROOT, wait_until
from tests.unit.projector_support import gold_proposal_problems, gold_state_problems, seed_articles

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def state(port: int) -> dict[str, Any] | None:
    try:
        r = httpx.get(f"http://127.0.0.1:{port}/api/state", timeout=2)
    except httpx.HTTPError:
        return None
    return r.json() if r.status_code == 200 else None


def gold_problems(view: dict[str, Any]) -> list[str]:
    """What of the gold's ``state`` (upcoming call with 5 sources, Istanbul talks with 4, the
    prisoner exchange, the proposals, the conflicts, one story) the view the real extractors
    make of the seeds does not hold: what a newcomer sees on the page."""
    names = {name: str(env.data["article_id"]) for name, env in seed_articles().items()}
    return gold_state_problems(view, names) + gold_proposal_problems(view)


def test_up_serves_the_seed_story_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "NEWSWIRE_KAFKA_BOOTSTRAP"}
    env.update({"NEWSWIRE_DATA_DIR": str(tmp_path), "NEWSWIRE_LOG_FORMAT": "text"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "newswire", "up", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        last: list[list[str]] = [["no view yet"]]

        def as_gold() -> dict[str, Any] | None:
            s = state(port)
            if s is None or s.get("articles") != 5:
                return None
            last[0] = gold_problems(s)
            return None if last[0] else s

        try:
            view = wait_until(as_gold, timeout=240, interval=0.5, what="the five seeds projected as the gold lists")
        except AssertionError as e:
            raise AssertionError(f"{e}; still: {last[0]}") from None
        assert not gold_problems(view)
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out[-3000:]
    assert f"live page  http://127.0.0.1:{port}/" in out
    assert "published 5" in out
    logs = {p.name: p.read_text() for p in (tmp_path / "up").glob("*.log")}
    for stage in ("entities", "claims"):
        assert "stage stopped" in logs[f"{stage}.log"], f"{stage} did not drain: {logs[f'{stage}.log'][-2000:]}"
