"""Prometheus scrape config and alert rules: promtool checks them, and every alert has a unit test."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.common import PROMETHEUS, load_yaml

PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None,
    reason="promtool not installed (Debian package `prometheus`; .ci/run installs it)",
)

REQUIRED_ALERTS = {
    "NewswireStageDown",
    "NewswireConsumerLagGrowing",
    "NewswireDeadLettersRising",
    "NewswireFeedStale",
    "NewswireViewNotUpdated",
}


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run([PROMTOOL, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=120)


@needs_promtool
def test_promtool_check_config() -> None:
    result = _promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@needs_promtool
def test_promtool_test_rules() -> None:
    result = _promtool("test", "rules", "rules.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_promtool_rule_tests_can_fail(tmp_path: Path) -> None:
    """A rule test that expects the wrong thing must fail (the harness is not vacuous)."""
    text = (PROMETHEUS / "rules.test.yml").read_text(encoding="utf-8")
    broken = text.replace("is 400 records behind", "is 401 records behind")
    assert broken != text
    (tmp_path / "rules.yml").write_text((PROMETHEUS / "rules.yml").read_text(encoding="utf-8"))
    (tmp_path / "rules.test.yml").write_text(broken)
    assert PROMTOOL is not None
    result = subprocess.run(
        [PROMTOOL, "test", "rules", "rules.test.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0


def test_the_issue_alerts_exist_and_each_has_a_firing_and_a_silent_test() -> None:
    rules = load_yaml(PROMETHEUS / "rules.yml")
    alerts = {r["alert"]: r for g in rules["groups"] for r in g["rules"] if "alert" in r}
    assert set(alerts) >= REQUIRED_ALERTS
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in ("warning", "critical"), name
        assert rule["annotations"]["summary"], name
    tests = load_yaml(PROMETHEUS / "rules.test.yml")
    assert tests["rule_files"] == ["rules.yml"]
    firing: set[str] = set()
    silent: set[str] = set()
    for group in tests["tests"]:
        for case in group.get("alert_rule_test", []):
            (firing if case.get("exp_alerts") else silent).add(case["alertname"])
    assert set(alerts) <= firing, f"alerts never seen firing in a test: {set(alerts) - firing}"
    assert set(alerts) <= silent, f"alerts never seen silent in a test: {set(alerts) - silent}"


def test_rule_file_is_loaded_by_the_config() -> None:
    config = load_yaml(PROMETHEUS / "prometheus.yml")
    assert config["rule_files"] == ["rules.yml"]
    jobs = [job["job_name"] for job in config["scrape_configs"]]
    assert len(jobs) == len(set(jobs))
    assert {"newswire-enrich-entities", "newswire-enrich-claims", "newswire-ingestor", "newswire-projector"} <= set(
        jobs
    )
