"""The benchmark's statistics: percentiles as numpy computes them, ratios that refuse nonsense,
when a phase was bound by CPU, and a level's rounds summed up by their medians."""

from __future__ import annotations

import math
import os
from typing import Any

import pytest
from rich.console import Console

from tools.bench.phase import busy_cores
from tools.bench.report import _budget, _cpu_bound, _rounds, _saga, _table
from tools.bench.run import PHASES, Level, cpu_budget, in_turn, level_result
from tools.bench.stats import median, per_second, percentile, ratio, summary


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


def test_the_median_skips_what_is_missing() -> None:
    assert median([0.6, 0.4, 0.5]) == 0.5
    assert median([0.4, None, 0.6, 0.5, 0.7]) == 0.55
    assert median([None, math.nan]) is None
    assert median([]) is None


def played_round(
    first: str, noop: float, app: float, p50: float | None, saga: float | None = None
) -> dict[str, Any]:
    def phase(throughput: float) -> dict[str, Any]:
        latency = {"p50": 0.25, "p95": 0.3, "p99": 0.4}
        return {
            "throughput_per_second": throughput,
            "latency_seconds": {
                "post_to_completed": latency,
                "post_to_started": latency,
                "post_to_last_effect": latency,
            },
            "cpu_seconds_per_order": {"temporal": 0.05, "worker": 0.03, "bench": 0.01},
            "cores_busy": {"busy": 1.5, "of": 2, "cpu_bound": False},
        }

    def ratios(throughput: float) -> dict[str, Any]:
        return {
            "throughput": throughput / noop,
            "post_to_completed_p50": p50,
            "post_to_completed_p95": 1.0,
            "post_to_completed_p99": 1.0,
            "post_to_started_p50": 1.0,
        }

    played = {"first": first, "noop": phase(noop), "app": phase(app), "ratios": ratios(app)}
    if saga is not None:
        played |= {"saga": phase(saga), "saga_ratios": ratios(saga)}
    return played


def test_a_level_of_rounds_reports_the_medians_and_shows_the_median_round() -> None:
    played = [
        played_round("noop", noop=20.0, app=10.0, p50=1.1),  # 0.50
        played_round("app", noop=20.0, app=16.0, p50=1.3),  # 0.80
        played_round("noop", noop=20.0, app=12.0, p50=None),  # 0.60
    ]

    level = level_result(Level(100, concurrency=1), played)

    assert level["ratios"]["throughput"] == pytest.approx(0.6)
    assert level["ratios"]["post_to_completed_p50"] == pytest.approx(1.2)
    assert level["targets"]["throughput_met"] is False
    assert level["targets"]["p50_met"] is True
    assert level["shown_round"] == 2
    assert level["app"]["throughput_per_second"] == 12.0
    assert [one["first"] for one in level["rounds"]] == ["noop", "app", "noop"]
    assert level["rounds"][1]["throughput_per_second"] == {"noop": 20.0, "app": 16.0}
    assert level["rounds"][0]["cpu_seconds_per_order"]["app"] == pytest.approx(0.08)
    note = _rounds(level)
    assert note is not None
    assert note.startswith("rounds: throughput ratio 0.50x, 0.80x, 0.60x; median 0.60x")
    assert "table shows round 3" in note


def test_one_round_is_the_level_itself() -> None:
    level = level_result(Level(10, concurrency=8), [played_round("noop", 20.0, 15.0, 1.0)])

    assert level["ratios"]["throughput"] == 0.75
    assert level["shown_round"] == 0
    assert _rounds(level) is None


def test_the_cpu_budget_is_what_the_target_allows_on_the_cores_the_app_kept_busy() -> None:
    noop = {
        "throughput_per_second": 20.0,
        "cpu_seconds_per_order": {"temporal": 0.05, "noop-worker": 0.03, "bench": 0.002},
        "cores_busy": {"busy": 1.6, "of": 2, "cpu_bound": False},
    }
    app = {
        "throughput_per_second": 10.0,
        "cpu_seconds_per_order": {"temporal": 0.07, "worker": 0.05, "inventory": 0.06},
        "cores_busy": {"busy": 1.8, "of": 2, "cpu_bound": True},
    }

    budget = cpu_budget(app, noop)

    assert budget == pytest.approx(
        {
            "cores_busy": 1.8,
            "orders_per_second_needed": 16.0,
            "allowed": 0.1125,
            "used": 0.18,
            "temporal_and_worker": 0.12,
            "other_processes": 0.06,
            "noop_temporal_and_worker": 0.08,
        }
    )
    level = {"app": app, "cpu_budget": budget, "targets": {"throughput_met": False}}
    note = _budget(level)
    assert note is not None
    assert note.startswith("CPU budget: 0.8x the limit is 16.0 orders/s, so on 1.80 busy cores")
    assert "at most 0.113 CPU-s per order; the application spent 0.180" in note
    assert "saga" not in note
    assert _budget({**level, "targets": {"throughput_met": True}}) is None

    saga = {**app, "cpu_seconds_per_order": {"temporal": 0.07, "saga-worker": 0.05, "bench": 0.01}}
    with_saga = cpu_budget(app, noop, saga)
    assert with_saga is not None and with_saga["saga_used"] == pytest.approx(0.12)
    note = _budget({**level, "cpu_budget": with_saga})
    assert note is not None and note.endswith("the saga with free participants spent 0.120 in all")
    app["cores_busy"] = None
    assert cpu_budget(app, noop) is None


def test_each_round_starts_one_phase_further_on() -> None:
    assert [in_turn(PHASES, number) for number in range(4)] == [
        ("noop", "saga", "app"),
        ("saga", "app", "noop"),
        ("app", "noop", "saga"),
        ("noop", "saga", "app"),
    ]
    assert [in_turn(("noop", "app"), number) for number in range(3)] == [
        ("noop", "app"),
        ("app", "noop"),
        ("noop", "app"),
    ]


def test_the_saga_phase_is_reported_beside_the_limit_and_the_application() -> None:
    played = [
        played_round("noop", noop=20.0, app=10.0, p50=1.1, saga=15.0),  # app 0.50, saga 0.75
        played_round("saga", noop=20.0, app=12.0, p50=1.3, saga=14.0),  # app 0.60, saga 0.70
        played_round("app", noop=20.0, app=16.0, p50=1.2, saga=17.0),  # app 0.80, saga 0.85
    ]

    level = level_result(Level(100, concurrency=8), played)

    assert level["saga_ratios"]["throughput"] == pytest.approx(0.75)
    assert level["saga"]["throughput_per_second"] == 14.0  # the shown round's, as the app's
    assert level["app"]["throughput_per_second"] == 12.0
    assert level["rounds"][0]["throughput_per_second"] == {"noop": 20.0, "saga": 15.0, "app": 10.0}
    assert level["rounds"][2]["saga_ratios"]["throughput"] == pytest.approx(0.85)
    note = _saga(level)
    assert note is not None
    assert note.startswith("saga with free participants: throughput 0.75x the limit's")
    assert "(rounds 0.75x, 0.70x, 0.85x)" in note
    assert note.endswith("take the application from there to 0.60x")

    console = Console(width=200, record=True)
    console.print(_table(level))
    [header] = [line for line in console.export_text().splitlines() if "/ noop" in line]
    columns = [word.strip() for word in header.split("┃") if word.strip()]
    assert columns == ["noop", "saga", "app", "saga / noop", "app / noop"]


def test_without_the_saga_phase_there_is_no_saga_line() -> None:
    level = level_result(Level(10, concurrency=8), [played_round("noop", 20.0, 15.0, 1.0)])

    assert "saga" not in level and "saga_ratios" not in level
    assert _saga(level) is None
    console = Console(width=200, record=True)
    console.print(_table(level))
    assert "saga" not in console.export_text()
