"""``newswire broker`` prints its address, serves the Kafka protocol, and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import replace

import pytest

from newswire.bus import ensure_topics
from newswire.settings import Settings
from tests.conftest import ROOT

pytestmark = pytest.mark.broker


def test_broker_command_serves_and_stops_cleanly() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "newswire", "broker"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "NEWSWIRE_LOG_FORMAT": "text"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("newswire broker listening on 127.0.0.1:"), line
        address = line.rsplit(" ", 1)[1].strip()
        outcome = ensure_topics(replace(Settings(), kafka_bootstrap=address, connect_timeout_s=20))
        assert set(outcome.values()) == {"created"}
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=20)
    assert code == 0
