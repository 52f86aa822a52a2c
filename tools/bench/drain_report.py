"""The drain bench's result on disk and on screen: `result.json`, `report.md`, and a table.

Every figure comes from one run, so its ratios (to the no-op, batch to one at a time) are what
to compare across machines; the rates themselves move with the machine's load.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from tools.bench.stats import ratio

COLUMNS = (
    "consumer",
    "events/s",
    "x no-op",
    "CPU ms/event",
    "NATS CPU ms/event",
    "1 h outage caught up in",
    "applied",
    "dead letters",
)


def write(result: dict[str, Any], folder: Path) -> None:
    (folder / "result.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    (folder / "report.md").write_text(markdown(result))


def rows(result: dict[str, Any]) -> list[list[str]]:
    """One row per run, in `COLUMNS` order, ratios to the no-op run of the same commit mode."""
    noop = {run["batch_commit"]: run for run in result["runs"] if run["consumer"] == "noop"}
    found = []
    for run in result["runs"]:
        limit = noop.get(run["batch_commit"]) or noop.get(False) or noop.get(True)
        versus = (
            None if limit is None else ratio(run["events_per_second"], limit["events_per_second"])
        )
        found.append(
            [
                run["label"],
                _number(run["events_per_second"]),
                "-" if versus is None else f"{versus:.2f}",
                _ms(run["cpu_seconds_per_event"]),
                _ms(run["nats_cpu_seconds_per_event"]),
                duration(run["catch_up_seconds"]),
                f"{run['applied']} of {result['events']}",
                str(run["dead_lettered"]),
            ]
        )
    return found


def batch_gains(result: dict[str, Any]) -> dict[str, float]:
    """Each consumer run both ways: its batch rate over its one-at-a-time rate."""
    rates: dict[str, dict[bool, float]] = {}
    for run in result["runs"]:
        if run["batch_commit"] is not None and run["events_per_second"]:
            rates.setdefault(run["consumer"], {})[run["batch_commit"]] = run["events_per_second"]
    return {
        name: both[True] / both[False]
        for name, both in rates.items()
        if True in both and False in both
    }


def notes(result: dict[str, Any]) -> list[str]:
    outage = result["outage"]
    hours, arrivals = outage["seconds"] // 3600, outage["arrivals_per_second"]
    found = [
        f"{result['events']} OrderCompleted events; catch-up: a {hours} h outage at {arrivals:g}"
        f" orders/s leaves {outage['backlog']} events, drained while {arrivals:g}/s keep"
        f" arriving: backlog / (rate - {arrivals:g})"
    ]
    gains = batch_gains(result)
    if gains:
        each = ", ".join(f"{name} {gain:.2f}x" for name, gain in gains.items())
        found.append(f"batch commit over one at a time: {each}")
    lost = [run["label"] for run in result["runs"] if not run["nothing_lost"]]
    if lost:
        found.append(f"NOT every event applied once by: {', '.join(lost)}")
    return found


def show(console: Console, result: dict[str, Any]) -> None:
    table = Table(title=f"drain of {result['events']} events")
    for index, column in enumerate(COLUMNS):
        table.add_column(column, justify="left" if index == 0 else "right", no_wrap=index == 0)
    for row in rows(result):
        table.add_row(*row)
    console.print(table)
    for note in notes(result):
        console.print(note)


def markdown(result: dict[str, Any]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row) + " |" for row in rows(result)]
    return "\n".join([*lines, "", *notes(result)]) + "\n"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.2f}"
