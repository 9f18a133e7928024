"""deploy/monitoring/: every expression in the Grafana dashboard and the Prometheus alert rules names
only metrics the service exports, and at least one."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import yaml

from tests.conftest import ROOT
from verifiers.metrics import Metrics

MONITORING = ROOT / "deploy" / "monitoring"
_SUFFIXES = {"counter": ("_total", "_created"), "gauge": ("",), "histogram": ("_bucket", "_sum", "_count", "_created")}
_NAME = re.compile(r"\bverifiers_[a-zA-Z0-9_]+")


def exported() -> set[str]:
    """Every sample name the service's registry can expose, from its metric families."""
    return {family.name + suffix for family in Metrics().registry.collect() for suffix in _SUFFIXES[family.type]}


def _exprs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "expr" and isinstance(value, str):
                yield value
            else:
                yield from _exprs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _exprs(value)


def test_every_dashboard_and_alert_expression_names_exported_metrics() -> None:
    known = exported()
    dashboard = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    rules = yaml.safe_load((MONITORING / "alerts.yml").read_text())
    exprs = {"dashboard": list(_exprs(dashboard)), "alerts": list(_exprs(rules))}
    assert len(exprs["dashboard"]) >= 10 and len(exprs["alerts"]) >= 8
    for where, found in exprs.items():
        for expr in found:
            names = set(_NAME.findall(expr))
            assert names, f"{where}: {expr!r} names no metric"
            assert names <= known, f"{where}: {expr!r} names {sorted(names - known)}, not exported"
    alerts = [r["alert"] for g in rules["groups"] for r in g["rules"]]
    assert len(alerts) == len(set(alerts)) and all(r.get("labels", {}).get("severity")
                                                  for g in rules["groups"] for r in g["rules"])


def test_the_registry_is_what_the_service_serves(server: str) -> None:
    """The names derived from the registry are the ones a running service really exposes."""
    httpx.post(f"{server}/score", json={"domain": "math", "response": "\\boxed{2}", "label": "2"})
    text = httpx.get(f"{server}/metrics").text
    served = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line.startswith("verifiers_")}
    assert served and served <= exported()
    assert {"verifiers_verdicts_total", "verifiers_item_latency_seconds_bucket"} <= served
