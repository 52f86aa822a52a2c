"""A benchmark run: for each load level, the no-op limit then the application, and their ratios.

Both phases of a level run back to back on the same Temporal server with the same worker
settings, so machine noise moves both; the ratios are what the targets are about:
throughput at least 0.8 x the limit's, and p50 POST → completed at most 1.5 x the limit's at
concurrency 1.

With the saga phase (`tools.bench.saga`) each round also runs the order saga with free
participants, and its ratios to the limit say how much of the gap the workflow's own engine work
makes and how much the participants, consumers and API do.

A level can run in several rounds, each a no-op phase and an application phase (and the saga's),
the first of them rotating from round to round so that a machine growing busier or quieter
favours none. Its ratios are then the medians of the rounds' ratios, and its phases those of the
round whose throughput ratio is nearest the median.
"""

from __future__ import annotations

import math
import os
import platform
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import httpx
import nats

from cli import options
from cli.credentials import bearer
from cli.order.client import ApiClient
from orders.settings import get_settings
from orders.temporal import connect
from tools.bench.load import Sample, Start, bare_noop, bare_saga, via_api
from tools.bench.phase import run_phase
from tools.bench.stack import Target
from tools.bench.stats import median, ratio
from tools.bench.timeline import drained, effects

THROUGHPUT_TARGET = 0.8
P50_TARGET = 1.5
EFFECTS_WITHIN_SECONDS = 120.0
TUNING_FIELDS = (
    "max_concurrent_workflow_tasks",
    "max_concurrent_activities",
    "max_concurrent_local_activities",
    "workflow_task_pollers",
    "activity_task_pollers",
    "max_cached_workflows",
    "eager_activities",
    "sandbox_passthrough",
    "http_max_connections",
)


@dataclass(frozen=True)
class Level:
    count: int
    concurrency: int | None = None
    rate: float | None = None

    @property
    def label(self) -> str:
        return f"rate {self.rate:g}/s" if self.rate else f"concurrency {self.concurrency}"


PHASES = ("noop", "saga", "app")
"""Every phase a round can run, in the order the first round runs them."""
RATIO_KEYS = {"saga": "saga_ratios", "app": "ratios"}
"""Where a round and a level keep each phase's ratios to the limit ("ratios" are the app's)."""

Progress = Callable[[str, int], Callable[[], None]]
"""Given a phase's label and size, the function to call as each of its workflows closes."""


def machine() -> dict[str, Any]:
    pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(pages * page_size / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": list(os.getloadavg()),
    }


def _ratios(app: dict[str, Any], noop: dict[str, Any]) -> dict[str, float | None]:
    a, n = app["latency_seconds"], noop["latency_seconds"]
    return {
        "throughput": ratio(app["throughput_per_second"], noop["throughput_per_second"]),
        **{
            f"post_to_completed_{p}": ratio(a["post_to_completed"][p], n["post_to_completed"][p])
            for p in ("p50", "p95", "p99")
        },
        "post_to_started_p50": ratio(a["post_to_started"]["p50"], n["post_to_started"]["p50"]),
    }


def _targets(level: Level, ratios: dict[str, float | None]) -> dict[str, Any]:
    throughput = ratios["throughput"]
    found: dict[str, Any] = {
        "throughput_ratio_at_least": THROUGHPUT_TARGET,
        "throughput_met": throughput is not None and throughput >= THROUGHPUT_TARGET,
    }
    if level.concurrency == 1:
        p50 = ratios["post_to_completed_p50"]
        found["p50_ratio_at_most"] = P50_TARGET
        found["p50_met"] = p50 is not None and p50 <= P50_TARGET
    return found


async def bench(
    target: Target,
    levels: list[Level],
    *,
    warmup: int,
    local_activities: bool,
    progress: Progress,
    rounds: int = 1,
    saga: bool = False,
) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:8]
    phases_run = tuple(name for name in PHASES if saga or name != "saga")
    settings = get_settings()
    result: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(),
        "machine": machine(),
        "stack": "fresh" if target.pids else f"running at {target.api}",
        "cpu_per_process": bool(target.pids),
        "worker_settings": {name: getattr(settings, name) for name in TUNING_FIELDS},
        "noop_local_activities": local_activities,
        "phases": list(phases_run),
        "rounds": rounds,
        "levels": [],
    }
    client = await connect(target_host=target.temporal, converter=target.converter)
    nc = await nats.connect(target.nats, name="orders-bench")
    try:
        async with (
            ApiClient(target.api, transport=options.transport(), token=target.api_key) as api,
            httpx.AsyncClient(headers=bearer(target.service_token)) as http,
        ):
            js = nc.jetstream()
            read = partial(effects, http, js, target.consumers, within=EFFECTS_WITHIN_SECONDS)
            settle = partial(drained, js, target.consumers, within=EFFECTS_WITHIN_SECONDS)
            starts = {
                "noop": bare_noop(client, run_id, local_activities=local_activities),
                "saga": bare_saga(client, run_id, settings),
                "app": via_api(api, run_id),
            }
            phase_effects = {"noop": (None, None), "saga": (None, None), "app": (read, settle)}
            numbered = _Numbering()
            for level in levels:
                if warmup:
                    # Imports, caches, connection pools and SQLite pages warm, so that the first
                    # level measures the steady state the others do.
                    for name in phases_run:
                        await run_phase(
                            client,
                            numbered(starts[name], warmup),
                            count=warmup,
                            concurrency=level.concurrency or 4,
                            rate=None,
                            advance=progress(f"warm-up {name}", warmup),
                            pids={},
                        )
                played: list[dict[str, Any]] = []
                for number in range(rounds):
                    order = in_turn(phases_run, number)
                    phases: dict[str, dict[str, Any]] = {}
                    for name in order:
                        reader, drain = phase_effects[name]
                        phases[name] = await run_phase(
                            client,
                            numbered(starts[name], level.count),
                            count=level.count,
                            concurrency=level.concurrency,
                            rate=level.rate,
                            advance=progress(_label(level, name, number, rounds), level.count),
                            pids=target.pids,
                            read_effects=reader,
                            drained=drain,
                        )
                    ratios = {
                        key: _ratios(phases[name], phases["noop"])
                        for name, key in RATIO_KEYS.items()
                        if name in phases
                    }
                    played.append({"first": order[0], **phases, **ratios})
                result["levels"].append(level_result(level, played))
    finally:
        await nc.close()
    result["finished_at"] = datetime.now(UTC).isoformat()
    return result


def in_turn(phases: tuple[str, ...], number: int) -> tuple[str, ...]:
    """The order of the `number`-th round's phases: each round starts one phase further on, so
    each phase goes first (and last) as often as the others."""
    turn = number % len(phases)
    return phases[turn:] + phases[:turn]


def level_result(level: Level, played: list[dict[str, Any]]) -> dict[str, Any]:
    """A level's entry in the result: the median ratios of its rounds, the phases of the round
    nearest the median throughput ratio, and each round in brief."""
    medians = {key: _medians(played, key) for key in RATIO_KEYS.values() if key in played[0]}
    shown = _nearest(played, medians["ratios"]["throughput"])
    chosen = played[shown]
    return {
        "label": level.label,
        "count": level.count,
        "concurrency": level.concurrency,
        "rate": level.rate,
        **{name: chosen[name] for name in PHASES if name in chosen},
        **medians,
        "targets": _targets(level, medians["ratios"]),
        "cpu_budget": cpu_budget(chosen["app"], chosen["noop"], chosen.get("saga")),
        "shown_round": shown,
        "rounds": [_in_brief(one) for one in played],
    }


def _medians(played: list[dict[str, Any]], key: str) -> dict[str, float | None]:
    return {name: median([one[key][name] for one in played]) for name in played[0][key]}


def cpu_budget(
    app: dict[str, Any], noop: dict[str, Any], saga: dict[str, Any] | None = None
) -> dict[str, float] | None:
    """What the throughput target allows the application per order on the cores it kept busy,
    against what it spent: Temporal and its worker (the no-op's, and the saga's with free
    participants, for comparison), and the rest.

    When the application is bound by CPU this is the whole story of its throughput ratio: it
    reaches 0.8 x the limit only by spending at most `allowed` CPU-seconds per order.
    """
    busy = (app.get("cores_busy") or {}).get("busy")
    limit = noop["throughput_per_second"]
    used = _cpu_per_order(app)
    if not busy or not limit or used is None:
        return None
    needed = THROUGHPUT_TARGET * limit
    engine = _sum_of(app, ("temporal", "worker"))
    budget = {
        "cores_busy": busy,
        "orders_per_second_needed": needed,
        "allowed": busy / needed,
        "used": used,
        "temporal_and_worker": engine,
        "other_processes": used - engine,
        "noop_temporal_and_worker": _sum_of(noop, ("temporal", "noop-worker")),
    }
    if saga is not None and (saga_used := _cpu_per_order(saga)) is not None:
        budget["saga_used"] = saga_used
    return budget


def _sum_of(phase: dict[str, Any], names: tuple[str, ...]) -> float:
    return sum(phase["cpu_seconds_per_order"].get(name) or 0.0 for name in names)


def _nearest(played: list[dict[str, Any]], throughput: float | None) -> int:
    """The index of the round whose throughput ratio is nearest `throughput` (the first of ties)."""
    if throughput is None:
        return 0
    distances = [
        abs(r - throughput) if (r := one["ratios"]["throughput"]) is not None else math.inf
        for one in played
    ]
    return distances.index(min(distances))


def _in_brief(one: dict[str, Any]) -> dict[str, Any]:
    def each(measure: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
        return {name: measure(one[name]) for name in PHASES if name in one}

    return {
        "first": one["first"],
        **{key: one[key] for key in RATIO_KEYS.values() if key in one},
        "throughput_per_second": each(lambda phase: phase["throughput_per_second"]),
        "post_to_completed_p50": each(
            lambda phase: phase["latency_seconds"]["post_to_completed"]["p50"]
        ),
        "cpu_seconds_per_order": each(_cpu_per_order),
        "cores_busy": each(lambda phase: (phase["cores_busy"] or {}).get("busy")),
    }


def _cpu_per_order(phase: dict[str, Any]) -> float | None:
    """Every process's CPU-seconds per order together, the bench's own driver left out."""
    values = [v for name, v in phase["cpu_seconds_per_order"].items() if name != "bench"]
    return sum(v for v in values if v is not None) if values else None


def _label(level: Level, name: str, number: int, rounds: int) -> str:
    return f"{level.label}: {name}" + (f" ({number + 1}/{rounds})" if rounds > 1 else "")


class _Numbering:
    """Gives each phase's workflows indexes no earlier phase of the run used, so every workflow
    id of a run is new."""

    def __init__(self) -> None:
        self.next = 0

    def __call__(self, start: Start, count: int) -> Start:
        offset, self.next = self.next, self.next + count

        async def shifted(index: int) -> Sample:
            sample = await start(index + offset)
            sample.index = index
            return sample

        return shifted
