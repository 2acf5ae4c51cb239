"""Every metric the dashboard and the alert rules query is one the code defines (a renamed metric
would otherwise leave an empty panel or an alert that can never fire)."""

from __future__ import annotations

import re

from tests.deploy.common import DASHBOARD, PROMETHEUS, ROOT

_DEFINED = re.compile(r"""(?:Counter|Gauge|Histogram|Summary|Info)\(\s*["'](newswire_[a-z0-9_]+)["']""")
_USED = re.compile(r"\bnewswire_[a-z0-9_]+")


def defined_metrics() -> set[str]:
    """Series names the code exports (a histogram exports _bucket, _sum and _count)."""
    names: set[str] = set()
    for package in ("newswire", "ingestor", "consumers"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for match in _DEFINED.finditer(text):
                name = match.group(1)
                kind = text[match.start() : match.start() + 9]
                if kind.startswith("Histogram"):
                    names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
                else:
                    names.add(name)
    return names


def used_metrics(text: str) -> set[str]:
    return set(_USED.findall(text))


def test_the_code_defines_the_stage_metrics() -> None:
    defined = defined_metrics()
    assert {"newswire_stage_events_in_total", "newswire_consumer_lag", "newswire_build_info"} <= defined
    assert "newswire_stage_latency_seconds_bucket" in defined


def test_dashboard_queries_only_defined_metrics() -> None:
    missing = used_metrics(DASHBOARD.read_text(encoding="utf-8")) - defined_metrics()
    assert not missing, f"the dashboard queries metrics no code exports: {sorted(missing)}"


def test_alert_rules_use_only_defined_metrics() -> None:
    missing = used_metrics((PROMETHEUS / "rules.yml").read_text(encoding="utf-8")) - defined_metrics()
    assert not missing, f"the alert rules use metrics no code exports: {sorted(missing)}"


def test_the_check_can_fail() -> None:
    assert used_metrics("sum(rate(newswire_stage_event_in_total[5m]))") - defined_metrics()
