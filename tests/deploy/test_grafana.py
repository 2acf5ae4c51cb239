"""The provisioned Grafana: datasource and dashboard provider files, and a dashboard Grafana can load."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.deploy.common import DASHBOARD, GRAFANA, compose, load_yaml

#: Grafana 11 writes schemaVersion 39–41; provisioning migrates anything from 14 on.
MIN_SCHEMA_VERSION = 36

DATASOURCES = load_yaml(GRAFANA / "provisioning" / "datasources" / "prometheus.yml")
PROVIDERS = load_yaml(GRAFANA / "provisioning" / "dashboards" / "newswire.yml")


def _dashboard() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return doc


def _all_panels(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for p in panels:
        out.append(p)
        out.extend(_all_panels(p.get("panels", [])))
    return out


def dashboard_problems(dash: dict[str, Any], datasource_uids: set[str]) -> list[str]:
    """What would keep Grafana from provisioning the dashboard, or leave a panel without data."""
    problems = []
    if not isinstance(dash.get("schemaVersion"), int) or dash["schemaVersion"] < MIN_SCHEMA_VERSION:
        problems.append(f"schemaVersion {dash.get('schemaVersion')!r}")
    if dash.get("id") is not None:
        problems.append("a provisioned dashboard must not carry a database id")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", str(dash.get("uid", ""))):
        problems.append(f"uid {dash.get('uid')!r}")
    if not dash.get("title"):
        problems.append("no title")
    panels = _all_panels(dash.get("panels", []))
    ids = [p.get("id") for p in panels]
    if len(ids) != len(set(ids)) or not all(isinstance(i, int) for i in ids):
        problems.append(f"panel ids not unique integers: {ids}")
    for p in panels:
        grid = p.get("gridPos", {})
        if not all(isinstance(grid.get(k), int) for k in ("x", "y", "w", "h")) or grid["x"] + grid["w"] > 24:
            problems.append(f"panel {p.get('id')}: gridPos {grid}")
        if p.get("type") == "row":
            continue
        refs = [p.get("datasource")] + [t.get("datasource") for t in p.get("targets", [])]
        for ref in refs:
            if not isinstance(ref, dict) or ref.get("type") != "prometheus" or ref.get("uid") not in datasource_uids:
                problems.append(f"panel {p.get('id')} {p.get('title')!r}: datasource {ref!r}")
        targets = p.get("targets", [])
        if not targets:
            problems.append(f"panel {p.get('id')} {p.get('title')!r}: no query")
        refids = [t.get("refId") for t in targets]
        if len(refids) != len(set(refids)) or not all(refids):
            problems.append(f"panel {p.get('id')}: refIds {refids}")
        for t in targets:
            if not str(t.get("expr", "")).strip():
                problems.append(f"panel {p.get('id')}: empty expr")
    # no overlapping panels
    cells: dict[tuple[int, int], Any] = {}
    for p in panels:
        g = p["gridPos"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                if (x, y) in cells:
                    problems.append(f"panels {cells[(x, y)]} and {p.get('id')} overlap at {(x, y)}")
                cells[(x, y)] = p.get("id")
    return problems


def test_datasource_provisioning() -> None:
    assert DATASOURCES["apiVersion"] == 1
    (ds,) = DATASOURCES["datasources"]
    assert ds["type"] == "prometheus"
    assert ds["uid"] and ds["access"] == "proxy"
    services = compose()["services"]
    host, port = ds["url"].removeprefix("http://").split(":")
    assert host in services, f"datasource points at {host}, not a compose service"
    assert any(str(p).split(":")[-1] == port for p in services[host]["ports"])


def test_dashboard_provider_reads_the_mounted_dashboards() -> None:
    assert PROVIDERS["apiVersion"] == 1
    (provider,) = PROVIDERS["providers"]
    assert provider["type"] == "file"
    assert provider["allowUiUpdates"] is False and provider["disableDeletion"] is True
    mounts = {}
    for entry in compose()["services"]["grafana"]["volumes"]:
        source, target = entry.split(":")[:2]
        mounts[target] = source
    source = mounts[provider["options"]["path"]]
    assert (GRAFANA.parents[1] / source / DASHBOARD.name).resolve() == DASHBOARD.resolve()


def test_dashboard_is_valid_for_provisioning() -> None:
    uids = {ds["uid"] for ds in DATASOURCES["datasources"]}
    assert dashboard_problems(_dashboard(), uids) == []


def test_dashboard_check_can_fail() -> None:
    uids = {ds["uid"] for ds in DATASOURCES["datasources"]}
    dash = _dashboard()
    panels = dash["panels"]
    panels[2]["id"] = panels[1]["id"]
    panels[3]["datasource"] = {"type": "prometheus", "uid": "some-other-uid"}
    dash["schemaVersion"] = 10
    problems = dashboard_problems(dash, uids)
    assert any("not unique" in p for p in problems)
    assert any("some-other-uid" in p for p in problems)
    assert any("schemaVersion" in p for p in problems)


def test_dashboard_covers_what_an_operator_watches() -> None:
    text = DASHBOARD.read_text(encoding="utf-8")
    for metric in (
        "newswire_articles_published_total",
        "newswire_stage_events_in_total",
        "newswire_stage_latency_seconds_bucket",
        "newswire_consumer_lag",
        "newswire_deadletters_total",
        "newswire_feed_last_success_timestamp_seconds",
        "newswire_feed_errors_total",
        "newswire_feed_not_modified_total",
        "newswire_feed_deduplicated_total",
        "newswire_view_items",
        "newswire_view_last_update_timestamp_seconds",
    ):
        assert metric in text, metric
    assert "histogram_quantile(0.5," in text and "histogram_quantile(0.99," in text
