"""The README's Deploy section: its consumer example compiles and names a real topic and the host
listener of docker-compose.yml; its commands name real services and files."""

from __future__ import annotations

import re

from newswire.topics import ALL_TOPIC_NAMES
from tests.deploy.common import ROOT, compose

README = ROOT / "README.md"


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Deploy")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_consumer_example_compiles_and_uses_the_contract() -> None:
    blocks = re.findall(r"```python\n(.*?)```", _section(), re.S)
    assert blocks, "the Deploy section has a Python consumer example"
    code = blocks[0]
    assert len(code.strip().splitlines()) <= 5
    compile(code, "README.md", "exec")
    topics = set(re.findall(r'"(newswire\.[a-z.]+\.v\d+)"', code))
    assert topics and topics <= set(ALL_TOPIC_NAMES)
    kafka_ports = [str(p).split(":")[0] for p in compose()["services"]["kafka"]["ports"]]
    assert any(f"localhost:{port}" in code for port in kafka_ports)


def test_commands_name_real_services_and_files() -> None:
    section = _section()
    services = set(compose()["services"])
    for name in re.findall(r"--scale ([a-z-]+)=", section):
        assert name in services, name
    for path in re.findall(r"-f (\S+\.ya?ml)", section):
        assert (ROOT / path).is_file(), path
    for topic in ALL_TOPIC_NAMES:
        assert topic in section, f"{topic} not listed for subscribers"
