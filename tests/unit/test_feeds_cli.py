"""``newswire feeds import`` and ``newswire feeds status``."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestor.feeds.state import State, default_path
from ingestor.feeds_cli import status_table
from newswire.cli import main
from tests.unit.test_feeds_config import OPML
from tests.unit.test_feeds_state import _poll


def test_import_writes_a_valid_feeds_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "subs.opml").write_bytes(OPML)
    out = tmp_path / "feeds.toml"
    assert main(["feeds", "import", str(tmp_path / "subs.opml"), "-o", str(out), "--interval", "300"]) == 0
    assert 'name = "bbc-world"' in out.read_text() and "interval = 300" in out.read_text()
    assert main(["feeds", "import", str(tmp_path / "subs.opml"), "-o", str(out)]) == 2  # no overwrite
    assert main(["feeds", "import", str(tmp_path / "subs.opml")]) == 0
    assert "[[feeds]]" in capsys.readouterr().out


def test_status_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NEWSWIRE_DATA_DIR", str(tmp_path))
    state = State(default_path(tmp_path))
    _poll(state, "healthy", 2, 1000.0)
    for i in range(6):
        _poll(state, "broken", 0, 1000.0 + i, outcome="error")
    rows = state.feeds()
    state.close()
    text = status_table(rows, 1100.0)
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["FEED", "HEALTH", "LAST"]
    assert "FAILING" in next(line for line in lines if line.startswith("broken"))
    assert " ok " in next(line for line in lines if line.startswith("healthy"))
    feeds = tmp_path / "feeds.toml"
    feeds.write_text('[[feeds]]\nname = "never"\nurl = "https://example.com/x"\n')
    assert main(["feeds", "status", "--feeds", str(feeds)]) == 0
    out = capsys.readouterr().out
    assert "never" in out and "new" in out and "broken" in out


def test_ingest_refuses_a_bad_feeds_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "feeds.toml"
    bad.write_text('[[feeds]]\nname = "x"\nurl = "file:///etc/passwd"\n')
    assert main(["ingest", "--feeds", str(bad), "--once"]) == 2
    assert "absolute http(s) URL" in capsys.readouterr().err
    bad.write_text("")
    assert main(["ingest", "--feeds", str(bad), "--once"]) == 2
