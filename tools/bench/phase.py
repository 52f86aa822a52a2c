"""One measured phase: drive the load, read back what happened, summarise it as JSON-ready dicts.

A phase is the application (orders through the API) or the no-op limit (bare starts), at one
concurrency or rate. CPU is read for every process of the stack before and after, so the
CPU-seconds per order include whatever the phase cost each process, idle ones included.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from temporalio.client import Client

from tools.bench import cpu
from tools.bench.load import Sample, Start, drive
from tools.bench.stats import per_second, summary
from tools.bench.timeline import Effect, History, histories

CPU_BOUND_FRACTION = 0.85
"""A phase whose processes used this share of all cores or more counts as bound by CPU: what is
left goes to the kernel and to what /proc does not attribute to them."""

ReadEffects = Callable[[list[str]], Awaitable[dict[str, list[Effect]]]]
Drained = Callable[[], Awaitable[None]]


def _seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return (later - earlier).total_seconds()


def _present(values: list[float | None]) -> list[float]:
    return [value for value in values if value is not None]


async def run_phase(
    client: Client,
    start: Start,
    *,
    count: int,
    concurrency: int | None,
    rate: float | None,
    advance: Callable[[], None],
    pids: dict[str, int],
    read_effects: ReadEffects | None = None,
    drained: Drained | None = None,
) -> dict[str, Any]:
    before, began = cpu.snapshot(pids), time.monotonic()
    samples = await drive(
        client, start, count=count, concurrency=concurrency, rate=rate, advance=advance
    )
    started = [sample for sample in samples if sample.workflow_id]
    if drained is not None:
        await drained()  # the consumers' work on this phase's events counts; reading it does not
    cpu_spent = cpu.spent(before, cpu.snapshot(pids))
    wall = time.monotonic() - began
    effects: dict[str, list[Effect]] = {}
    if read_effects is not None:
        effects = await read_effects(
            [s.workflow_id.removeprefix("order-") for s in started if s.status == "COMPLETED"]
        )
    found = await histories(client, [sample.workflow_id for sample in started])
    summarised = summarise(
        samples, dict(zip((s.workflow_id for s in started), found, strict=True)), effects, cpu_spent
    )
    summarised["cores_busy"] = busy_cores(cpu_spent, wall) if pids else None
    return summarised


def busy_cores(cpu_spent: dict[str, float], wall_seconds: float) -> dict[str, Any]:
    """How many of the machine's cores the phase kept busy, every process counted (the bench's
    own too): near all of them, the phase was bound by CPU, not by the engine's latency."""
    cores = os.cpu_count() or 1
    busy = sum(cpu_spent.values()) / wall_seconds if wall_seconds > 0 else 0.0
    return {
        "busy": busy,
        "of": cores,
        "cpu_bound": busy >= CPU_BOUND_FRACTION * cores,
    }


def summarise(
    samples: list[Sample],
    found: dict[str, History],
    effects: dict[str, list[Effect]],
    cpu_spent: dict[str, float],
) -> dict[str, Any]:
    closed = [s for s in samples if s.workflow_id and found[s.workflow_id].closed is not None]
    statuses: dict[str, int] = defaultdict(int)
    for sample in samples:
        statuses[sample.status] += 1
    first_sent = min((s.sent_at for s in samples), default=None)
    ends = [found[s.workflow_id].closed for s in closed]
    last_closed = max((end for end in ends if end is not None), default=None)
    duration = _seconds(last_closed, first_sent) or 0.0
    completed = statuses.get("COMPLETED", 0)

    to_completed = _present([_seconds(found[s.workflow_id].closed, s.sent_at) for s in closed])
    to_effect = _present(
        [
            _seconds(max(e.applied_at for e in got), s.sent_at)
            for s in closed
            if (got := effects.get(s.workflow_id.removeprefix("order-")))
        ]
    )
    return {
        "orders": len(samples),
        "statuses": dict(sorted(statuses.items())),
        "errors": sorted({s.error for s in samples if s.error})[:5],
        "duration_seconds": duration,
        "throughput_per_second": completed / duration if duration else None,
        "latency_seconds": {
            "post_to_started": summary([s.start_seconds for s in samples if s.workflow_id]),
            "post_to_completed": summary(to_completed),
            "post_to_last_effect": summary(to_effect),
        },
        "breakdown": _breakdown([found[s.workflow_id] for s in closed], effects),
        "cpu_seconds_per_order": {
            name: seconds / completed if completed else None
            for name, seconds in sorted(cpu_spent.items())
        },
        "cpu_seconds": dict(sorted(cpu_spent.items())),
        "completions_per_second": per_second(_present([_seconds(end, first_sent) for end in ends])),
        "post_to_completed_all": sorted(to_completed),
    }


def _breakdown(found: list[History], effects: dict[str, list[Effect]]) -> dict[str, Any]:
    """Where the time goes: each activity queued and running, the first workflow task, the lag
    of each consumer behind the stream."""
    queued: dict[str, list[float | None]] = defaultdict(list)
    running: dict[str, list[float | None]] = defaultdict(list)
    first_task: list[float | None] = []
    for item in found:
        if item.activities:
            first_task.append(_seconds(item.activities[0].scheduled, item.started))
        for activity in item.activities:
            queued[activity.name].append(_seconds(activity.started, activity.scheduled))
            running[activity.name].append(_seconds(activity.completed, activity.started))
    lag: dict[str, list[float | None]] = defaultdict(list)
    for got in effects.values():
        for effect in got:
            lag[effect.consumer].append(_seconds(effect.applied_at, effect.published_at))
    return {
        "start_to_first_activity_scheduled": summary(_present(first_task)),
        "activities": {
            name: {
                "schedule_to_start": summary(_present(queued[name])),
                "start_to_close": summary(_present(running[name])),
            }
            for name in queued
        },
        "local_activities_per_workflow": max((item.local_activities for item in found), default=0),
        "consumer_lag": {name: summary(_present(values)) for name, values in sorted(lag.items())},
    }
