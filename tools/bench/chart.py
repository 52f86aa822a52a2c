"""`chart.png`: per level, the latency distribution and the throughput over time.

Only `orders bench` imports this module, when it writes a chart: matplotlib (with numpy and pillow)
is the `bench` extra's, and no other command should pay for importing it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: render straight to PNG

import matplotlib.pyplot as plt

from tools.bench.report import measured_phases

COLOURS = {"app": "tab:blue", "saga": "tab:orange", "noop": "tab:grey"}


def write_chart(result: dict[str, Any], path: Path) -> None:
    """Per level: the latency distribution (CDF of POST → completed) and completions per second,
    the application (and the saga with free participants) against the no-op limit."""
    levels = result["levels"]
    figure, axes = plt.subplots(2, len(levels), figsize=(6 * len(levels), 8), squeeze=False)
    for column, level in enumerate(levels):
        cdf, rate = axes[0][column], axes[1][column]
        for name in measured_phases(level):
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
