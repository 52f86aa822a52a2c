"""The alert rules (deploy/prometheus/rules.yml) fire as their unit tests say, and watch metrics
the code exports.

`promtool test rules` runs rules.test.yml: for each alert, series that must fire it and series
that must not. promtool comes with Debian's `prometheus` package (tools/system-packages).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from workers.consumer.metrics import ConsumerMetrics
from workers.consumer.monitor import MonitorMetrics

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
PROMTOOL = shutil.which("promtool")
METRIC = re.compile(r"\b(orders_[a-z_]+)")


@pytest.mark.skipif(
    PROMTOOL is None,
    reason="promtool is not installed (`apt-get install prometheus`: tools/system-packages)",
)
def test_the_rules_pass_their_promtool_unit_tests() -> None:
    assert PROMTOOL is not None
    for argv in (
        [PROMTOOL, "check", "config", "prometheus.yml"],
        [PROMTOOL, "test", "rules", "rules.test.yml"],
    ):
        result = subprocess.run(argv, cwd=RULES, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_is_unit_tested() -> None:
    rules = yaml.safe_load((RULES / "rules.yml").read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    tests = yaml.safe_load((RULES / "rules.test.yml").read_text())
    tested = {
        case["alertname"]
        for test in tests["tests"]
        for case in test["alert_rule_test"]
        if case.get("exp_alerts")
    }
    assert alerts == tested


def test_the_rules_watch_metrics_the_consumers_export() -> None:
    registry = ConsumerMetrics("loyalty").registry
    MonitorMetrics(registry, "loyalty")
    exported = {sample.name for family in registry.collect() for sample in family.samples} | {
        family.name for family in registry.collect()
    }
    watched = set(METRIC.findall((RULES / "rules.yml").read_text()))
    assert watched <= exported, sorted(watched - exported)
