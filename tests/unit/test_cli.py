"""The command line explains itself: every subcommand has --help, and config errors are clear."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from newswire.cli import build_parser, main


def subcommand_paths() -> list[list[str]]:
    parser = build_parser()
    paths: list[list[str]] = []

    def walk(p: object, prefix: list[str]) -> None:
        for action in getattr(p, "_actions", []):
            choices = getattr(action, "choices", None)
            if isinstance(choices, dict):
                for name, sub in choices.items():
                    paths.append([*prefix, name])
                    walk(sub, [*prefix, name])

    walk(parser, [])
    return paths


def test_main_commands_exist() -> None:
    names = {p[0] for p in subcommand_paths()}
    assert {"broker", "topics", "tail", "replay", "up"} <= names


@pytest.mark.parametrize("path", subcommand_paths(), ids=lambda p: " ".join(p))
def test_every_subcommand_has_help(path: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args([*path, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "usage:" in out and len(out) > 80


def test_configuration_error_is_reported_with_the_variable(capsys: pytest.CaptureFixture[str]) -> None:
    os.environ["NEWSWIRE_PARTITIONS"] = "lots"
    try:
        assert main(["topics", "list"]) == 2
    finally:
        del os.environ["NEWSWIRE_PARTITIONS"]
    assert "NEWSWIRE_PARTITIONS" in capsys.readouterr().err


def test_topics_list_shows_compaction_of_the_state_topic() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "newswire", "topics", "list"], capture_output=True, text=True, check=True
    ).stdout
    state = next(line for line in out.splitlines() if "newswire.talks.state.v1" in line)
    assert "cleanup.policy=compact" in state
