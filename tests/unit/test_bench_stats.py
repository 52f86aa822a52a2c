"""The benchmark's statistics: percentiles as numpy computes them, ratios that refuse nonsense."""

from __future__ import annotations

import math

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
