"""A run's result on disk and on screen: `result.json` and a summary table (`chart.png` is
`tools.bench.chart`'s)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from tools.bench.run import PHASES, RATIO_KEYS, THROUGHPUT_TARGET


def write_json(result: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")


def measured_phases(level: dict[str, Any]) -> list[str]:
    return [name for name in PHASES if name in level]


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f}"


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def show(console: Console, result: dict[str, Any]) -> None:
    for level in result["levels"]:
        console.print(_table(level))
        targets = level["targets"]
        verdicts = [f"throughput ≥ 0.8x: {'met' if targets['throughput_met'] else 'NOT met'}"]
        if "p50_met" in targets:
            verdicts.append(f"p50 ≤ 1.5x: {'met' if targets['p50_met'] else 'NOT met'}")
        console.print("targets: " + "; ".join(verdicts))
        if note := _rounds(level):
            console.print(note)
        if note := _saga(level):
            console.print(note)
        if note := _cpu_bound(level):
            console.print(note)
        if note := _budget(level):
            console.print(note)
    if not result["cpu_per_process"]:
        console.print("CPU per process: not measured against a stack this run did not start")


def _table(level: dict[str, Any]) -> Table:
    """The level's phases side by side, then each one's ratios to the limit."""
    names = measured_phases(level)
    phases = [level[name] for name in names]
    compared = [level[RATIO_KEYS[name]] for name in names[1:]]
    table = Table(title=f"{level['label']}, {level['count']} orders")
    table.add_column("", no_wrap=True)
    for name in names:
        table.add_column(name, justify="right")
    for name in names[1:]:
        table.add_column(f"{name} / noop", justify="right")

    def row(label: str, values: list[str], ratio: str | None = None) -> None:
        ratios = ["" if ratio is None else _x(each[ratio]) for each in compared]
        table.add_row(label, *values, *ratios)

    def latency(name: str, p: str) -> list[str]:
        return [_ms(phase["latency_seconds"][name][p]) for phase in phases]

    throughputs = [f"{phase['throughput_per_second'] or 0:.1f}" for phase in phases]
    row("orders/s", throughputs, "throughput")
    for p in ("p50", "p95", "p99"):
        row(f"POST → completed {p} (ms)", latency("post_to_completed", p), f"post_to_completed_{p}")
    row("POST → started p50 (ms)", latency("post_to_started", "p50"), "post_to_started_p50")
    for p in ("p50", "p95", "p99"):
        # Only the application's orders reach the consumers.
        effect = _ms(level["app"]["latency_seconds"]["post_to_last_effect"][p])
        row(f"POST → last effect {p} (ms)", [effect if n == "app" else "" for n in names])
    row("cores busy", [_cores(phase.get("cores_busy")) for phase in phases])
    for process in level["app"]["cpu_seconds_per_order"]:
        per_order = [_cpu(phase["cpu_seconds_per_order"].get(process)) for phase in phases]
        row(f"CPU s/order: {process}", per_order)
    return table


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


def _saga(level: dict[str, Any]) -> str | None:
    """With the saga phase: how close the workflow alone runs to the limit, and the rest."""
    ratios = level.get("saga_ratios")
    if ratios is None:
        return None
    played = level.get("rounds") or []
    rounds = ", ".join(_x(one["saga_ratios"]["throughput"]) for one in played)
    return (
        f"saga with free participants: throughput {_x(ratios['throughput'])} the limit's"
        + (f" (rounds {rounds})" if len(played) > 1 else "")
        + "; what the workflow's own engine work leaves. The participants, consumers and API take"
        f" the application from there to {_x(level['ratios']['throughput'])}"
    )


def _cpu_bound(level: dict[str, Any]) -> str | None:
    """A line naming the phases that ran out of cores: their ratio compares CPU per order."""
    bound = [
        name
        for name in measured_phases(level)
        if (level[name].get("cores_busy") or {}).get("cpu_bound")
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
        + (
            f"; the saga with free participants spent {budget['saga_used']:.3f} in all"
            if "saga_used" in budget
            else ""
        )
    )


def _cores(value: dict[str, Any] | None) -> str:
    return "-" if value is None else f"{value['busy']:.2f} of {value['of']}"


def _cpu(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"
