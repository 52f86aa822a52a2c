"""The benchmark's statistics: percentiles as numpy computes them, ratios that refuse nonsense,
and when a phase was bound by CPU."""

from __future__ import annotations

import math
import os
from typing import Any

import pytest

from cli.bench.phase import busy_cores
from cli.bench.report import _cpu_bound
from cli.bench.stats import per_second, percentile, ratio, summary


def test_percentiles_interpolate_between_closest_ranks() -> None:
    values = [4.0, 1.0, 3.0, 2.0]
    assert percentile(values, 50) == 2.5
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile(list(map(float, range(101))), 99) == 99.0
    assert math.isnan(percentile([], 50))


def test_summary_of_nothing_is_none_not_zero() -> None:
    assert summary([]) == {
        "count": 0, "mean": None, "p50": None, "p95": None, "p99": None, "max": None,
    }  # fmt: skip
    assert summary([1.0, 3.0])["mean"] == 2.0


def test_ratio_without_a_denominator_is_unknown() -> None:
    assert ratio(1.0, 2.0) == 0.5
    assert ratio(1.0, 0.0) is None
    assert ratio(None, 2.0) is None


def test_completions_are_counted_per_whole_second() -> None:
    assert per_second([0.1, 0.9, 2.5]) == [2, 0, 1]
    assert per_second([]) == []


def test_a_phase_using_nearly_every_core_is_bound_by_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    spent = {"temporal": 9.0, "worker": 6.0, "bench": 2.0}
    assert busy_cores(spent, wall_seconds=10.0) == {"busy": 1.7, "of": 2, "cpu_bound": True}
    assert busy_cores(spent, wall_seconds=20.0)["cpu_bound"] is False
    assert busy_cores(spent, wall_seconds=0.0)["busy"] == 0.0


def test_the_report_says_when_the_ratio_compares_cpu_not_latency() -> None:
    def level(app_bound: bool) -> dict[str, Any]:
        return {
            "noop": {"cores_busy": {"busy": 1.4, "of": 2, "cpu_bound": False}},
            "app": {"cores_busy": {"busy": 1.8, "of": 2, "cpu_bound": app_bound}},
        }

    note = _cpu_bound(level(app_bound=True))
    assert note is not None and note.startswith("bound by CPU: app (1.8 of 2 cores busy)")
    assert _cpu_bound(level(app_bound=False)) is None
    assert _cpu_bound({"noop": {"cores_busy": None}, "app": {"cores_busy": None}}) is None
