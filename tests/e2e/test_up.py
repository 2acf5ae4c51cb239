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
from tests.unit.projector_support import gold

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def state(port: int) -> dict[str, Any] | None:
    try:
        r = httpx.get(f"http://127.0.0.1:{port}/api/state", timeout=2)
    except httpx.HTTPError:
        return None
    return r.json() if r.status_code == 200 else None


def events_as_gold(view: dict[str, Any]) -> bool:
    """The upcoming and held events the gold lists (the Trump–Putin call with its 5 sources, the
    Istanbul talks with 4, …), as the real extractors read the seeds: what a newcomer sees first
    on the page."""
    return all(
        any(
            i["kind"] == want["kind"]
            and set(want["participants"]) <= {p["id"] for p in i["participants"]}
            and i["sources"] >= want["min_sources"]
            and want.get("where", i["place"]) == i["place"]
            for i in view["sections"][section]
        )
        for section in ("upcoming", "held")
        for want in gold()["state"][section]
    )


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
        view = wait_until(
            lambda: (s := state(port)) is not None and s.get("articles") == 5 and events_as_gold(s) and s,
            timeout=240,
            interval=0.5,
            what="the five seeds projected into the view",
        )
        assert events_as_gold(view)
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
