"""A run's result on disk and on screen: `result.json`, `chart.png` and a summary table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: render straight to PNG

import matplotlib.pyplot as plt
from rich.console import Console
from rich.table import Table

from cli.bench.run import THROUGHPUT_TARGET

COLOURS = {"app": "tab:blue", "noop": "tab:grey"}


def write_json(result: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")


def write_chart(result: dict[str, Any], path: Path) -> None:
    """Per level: the latency distribution (CDF of POST → completed) and completions per second,
    the application against the no-op limit."""
    levels = result["levels"]
    figure, axes = plt.subplots(2, len(levels), figsize=(6 * len(levels), 8), squeeze=False)
    for column, level in enumerate(levels):
        cdf, rate = axes[0][column], axes[1][column]
        for name in ("noop", "app"):
            values = [v * 1000 for v in level[name]["post_to_completed_all"]]
            if values:
                fraction = [(i + 1) / len(values) for i in range(len(values))]
                cdf.step(values, fraction, where="post", label=name, color=COLOURS[name])
            counts = level[name]["completions_per_second"]
            rate.plot(range(len(counts)), counts, label=name, color=COLOURS[name])
        cdf.set_title(f"{level['label']}: POST → completed")
        cdf.set_xlabel("latency (ms)")
        cdf.set_ylabel("fraction of orders")
        cdf.grid(alpha=0.3)
        cdf.legend()
        rate.set_title(f"{level['label']}: throughput over time")
        rate.set_xlabel("seconds since the first start")
        rate.set_ylabel("workflows completed per second")
        rate.grid(alpha=0.3)
        rate.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f}"


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def show(console: Console, result: dict[str, Any]) -> None:
    for level in result["levels"]:
        table = Table(title=f"{level['label']}, {level['count']} orders")
        table.add_column("")
        for name in ("noop", "app", "app / noop"):
            table.add_column(name, justify="right")
        app, noop, ratios = level["app"], level["noop"], level["ratios"]
        table.add_row(
            "orders/s",
            f"{noop['throughput_per_second'] or 0:.1f}",
            f"{app['throughput_per_second'] or 0:.1f}",
            _x(ratios["throughput"]),
        )
        for p in ("p50", "p95", "p99"):
            table.add_row(
                f"POST → completed {p} (ms)",
                _ms(noop["latency_seconds"]["post_to_completed"][p]),
                _ms(app["latency_seconds"]["post_to_completed"][p]),
                _x(ratios[f"post_to_completed_{p}"]),
            )
        table.add_row(
            "POST → started p50 (ms)",
            _ms(noop["latency_seconds"]["post_to_started"]["p50"]),
            _ms(app["latency_seconds"]["post_to_started"]["p50"]),
            _x(ratios["post_to_started_p50"]),
        )
        for p in ("p50", "p95", "p99"):
            table.add_row(
                f"POST → last effect {p} (ms)",
                "",
                _ms(app["latency_seconds"]["post_to_last_effect"][p]),
                "",
            )
        table.add_row(
            "cores busy",
            _cores(noop.get("cores_busy")),
            _cores(app.get("cores_busy")),
            "",
        )
        for name, per_order in app["cpu_seconds_per_order"].items():
            table.add_row(
                f"CPU s/order: {name}",
                _cpu(noop["cpu_seconds_per_order"].get(name)),
                _cpu(per_order),
                "",
            )
        console.print(table)
        targets = level["targets"]
        verdicts = [f"throughput ≥ 0.8x: {'met' if targets['throughput_met'] else 'NOT met'}"]
        if "p50_met" in targets:
            verdicts.append(f"p50 ≤ 1.5x: {'met' if targets['p50_met'] else 'NOT met'}")
        console.print("targets: " + "; ".join(verdicts))
        if note := _rounds(level):
            console.print(note)
        if note := _cpu_bound(level):
            console.print(note)
        if note := _budget(level):
            console.print(note)
    if not result["cpu_per_process"]:
        console.print("CPU per process: not measured against a stack this run did not start")


def _rounds(level: dict[str, Any]) -> str | None:
    """With several rounds: each one's throughput ratio, and which one the table shows."""
    played = level.get("rounds") or []
    if len(played) < 2:
        return None
    each = ", ".join(_x(one["ratios"]["throughput"]) for one in played)
    return (
        f"rounds: throughput ratio {each}; median {_x(level['ratios']['throughput'])}"
        f" (the table shows round {level['shown_round'] + 1}, the ratios are the medians)"
    )


def _cpu_bound(level: dict[str, Any]) -> str | None:
    """A line naming the phases that ran out of cores: their ratio compares CPU per order."""
    bound = [
        name for name in ("noop", "app") if (level[name].get("cores_busy") or {}).get("cpu_bound")
    ]
    if not bound:
        return None
    busy = level[bound[-1]]["cores_busy"]
    return (
        f"bound by CPU: {' and '.join(bound)} ({busy['busy']:.1f} of {busy['of']} cores busy);"
        " the throughput ratio then compares CPU per order on this machine, not latency"
    )


def _budget(level: dict[str, Any]) -> str | None:
    """For an application bound by CPU that misses the throughput target: the CPU per order the
    target allows on the cores it had, and where what it spent went."""
    budget = level.get("cpu_budget")
    app_bound = (level["app"].get("cores_busy") or {}).get("cpu_bound")
    if budget is None or not app_bound or level["targets"]["throughput_met"]:
        return None
    return (
        f"CPU budget: {THROUGHPUT_TARGET:g}x the limit is {budget['orders_per_second_needed']:.1f}"
        f" orders/s, so on {budget['cores_busy']:.2f} busy cores at most"
        f" {budget['allowed']:.3f} CPU-s per order; the application spent {budget['used']:.3f}:"
        f" Temporal and the worker {budget['temporal_and_worker']:.3f} (the no-op's"
        f" {budget['noop_temporal_and_worker']:.3f}), the other processes"
        f" {budget['other_processes']:.3f}"
    )


def _cores(value: dict[str, Any] | None) -> str:
    return "-" if value is None else f"{value['busy']:.2f} of {value['of']}"


def _cpu(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"
