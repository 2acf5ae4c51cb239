"""The compiled core is used only when its build matches the sources (else they run as they are)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from newswire import compiled


@pytest.fixture
def artifacts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(compiled, "ARTIFACTS", tmp_path)
    monkeypatch.delenv(compiled.PURE_ENV, raising=False)
    compiled.status.cache_clear()
    yield tmp_path
    compiled.status.cache_clear()


def _manifest(at: Path, **changes: object) -> None:
    manifest = {"interpreter": compiled.interpreter(), "sources": compiled.source_digests(), "built_at": "then"}
    manifest.update(changes)
    (at / compiled.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def test_a_build_of_the_sources_as_they_are_is_used(artifacts: Path) -> None:
    _manifest(artifacts)
    assert compiled.status() == (True, "built then")


def test_a_build_of_other_sources_is_not(artifacts: Path) -> None:
    sources = compiled.source_digests()
    sources["consumers.projector.view"] = "0" * 64  # (view.py edited since the build)
    _manifest(artifacts, sources=sources)
    used, why = compiled.status()
    assert not used and "consumers.projector.view" in why


def test_nor_one_for_another_python_or_none_at_all(artifacts: Path) -> None:
    assert compiled.status() == (False, "not built (python -m newswire.build_core)")
    compiled.status.cache_clear()
    _manifest(artifacts, interpreter=".cpython-99-elsewhere.so")
    assert not compiled.status()[0]


def test_the_sources_can_be_forced(artifacts: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _manifest(artifacts)
    monkeypatch.setenv(compiled.PURE_ENV, "1")
    assert compiled.status() == (False, f"{compiled.PURE_ENV} is set")


def test_a_stale_build_leaves_the_package_path_alone(artifacts: Path) -> None:
    (artifacts / "consumers" / "projector").mkdir(parents=True)
    path = ["/src/consumers/projector"]
    compiled.extend_path(path, "consumers.projector")
    assert path == ["/src/consumers/projector"]
    _manifest(artifacts)
    compiled.status.cache_clear()
    compiled.extend_path(path, "consumers.projector")
    assert path == [str(artifacts / "consumers" / "projector"), "/src/consumers/projector"]


@pytest.mark.skipif(
    os.environ.get("CI") != "true" or bool(os.environ.get(compiled.PURE_ENV)),
    reason="CI builds the compiled core (scripts/bootstrap) and runs it, but where the sources are forced",
)
def test_ci_runs_the_compiled_core() -> None:
    from consumers.projector import view

    assert compiled.in_use(view), compiled.status()
