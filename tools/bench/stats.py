"""Percentiles and rates: the few statistics a benchmark result needs, with no dependency."""

from __future__ import annotations

import math
from collections.abc import Sequence

PERCENTILES = (50, 95, 99)


def percentile(values: Sequence[float], p: float) -> float:
    """The `p`-th percentile by linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: Sequence[float]) -> dict[str, float | int | None]:
    """Count, mean, p50/p95/p99 and max, in seconds; None where there is nothing to summarise."""
    if not values:
        return {"count": 0, "mean": None, **{f"p{p}": None for p in PERCENTILES}, "max": None}
    return {
        "count": len(values),
        "mean": sum(values) / len(values),
        **{f"p{p}": percentile(values, p) for p in PERCENTILES},
        "max": max(values),
    }


def median(values: Sequence[float | None]) -> float | None:
    """The median of the values that are there; None when none is."""
    present = sorted(value for value in values if value is not None and not math.isnan(value))
    if not present:
        return None
    middle = len(present) // 2
    if len(present) % 2:
        return present[middle]
    return (present[middle - 1] + present[middle]) / 2


def ratio(numerator: float | int | None, denominator: float | int | None) -> float | None:
    if numerator is None or not denominator or math.isnan(numerator) or math.isnan(denominator):
        return None
    return numerator / denominator


def per_second(moments: Sequence[float]) -> list[int]:
    """How many of `moments` (seconds since the start) fall in each whole second."""
    if not moments:
        return []
    counts = [0] * (int(max(moments)) + 1)
    for moment in moments:
        counts[int(moment)] += 1
    return counts
