"""CPU-seconds of the stack's processes, from /proc: user + system time of each process tree."""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


def _stat(pid: int) -> list[str] | None:
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces: split after its closing parenthesis.
    return text.rsplit(")", 1)[1].split()


def _children() -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            found.setdefault(int(fields[1]), []).append(int(entry.name))
    return found


def tree_cpu_seconds(pid: int, children: dict[int, list[int]] | None = None) -> float:
    """utime + stime of `pid` and its live descendants (and of the children they reaped)."""
    children = _children() if children is None else children
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        fields = _stat(current)
        if fields is None:
            continue
        # After the ")": state is [0], so utime, stime, cutime, cstime are [11]..[14].
        total += sum(int(value) for value in fields[11:15]) / TICKS
        todo.extend(children.get(current, []))
    return total


def snapshot(pids: dict[str, int]) -> dict[str, float]:
    """CPU-seconds so far of each named process tree; this process alone, without its children
    (the stack it started), as `bench`."""
    children = _children()
    found = {name: tree_cpu_seconds(pid, children) for name, pid in pids.items()}
    if pids:
        times = os.times()
        found["bench"] = times.user + times.system
    return found


def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before.get(name, 0.0) for name in after}
