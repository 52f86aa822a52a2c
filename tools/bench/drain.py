"""`orders bench --consumers`: how fast each consumer drains a backlog, against the no-op limit.

A fresh NATS server and SMTP sink on free ports in a new directory; a backlog of `OrderCompleted`
events (`tools.bench.backlog`) in a fresh stream; then each consumer process in turn, on a fresh
database and a durable created afresh (so each one drains the whole backlog), as `orders dev`
runs it. The clock and the CPU counters start at the first delivery (a process's start-up is
not the drain) and stop when the durable has nothing pending or in flight.

Each run reports events/s, CPU per event (of the consumer process, and of NATS), whether every
event was applied once, and how long a one-hour outage at 10 orders/s takes to catch up while
10 orders/s keep arriving: backlog / (rate - arrivals).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import nats
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from prometheus_client.parser import text_string_to_metric_families

from cli.bus.provision import provision
from cli.errors import CliError
from orders.bus import STREAM, consumer_config
from tools.bench.backlog import publish_backlog
from tools.bench.cpu import tree_cpu_seconds
from tools.bench.run import machine
from tools.stack.processes import Process, free_ports, wait_until
from tools.stack.ready import http_ok, nats_ready, port_open
from tools.stack.servers import nats_server_argv

NOOP = "noop"
DATABASE_CONSUMERS = ("loyalty", "analytics")
DRAINERS = (NOOP, "notification", *DATABASE_CONSUMERS)
OUTAGE_SECONDS = 3600
ARRIVALS_PER_SECOND = 10.0
SAMPLE_SECONDS = 0.05
FIRST_SAMPLE_SECONDS = 0.01
STARTUP_SECONDS = 60.0
STALL_SECONDS = 120.0
"""A run whose backlog has not moved for this long has failed (its log says why)."""

Progress = Callable[[str, int], Callable[[int], None]]
"""Given a phase's label and size, the function to call with how much of it is done."""


@dataclass(frozen=True)
class Run:
    """One consumer draining the backlog; `batch_commit` None where it does not apply."""

    consumer: str
    batch_commit: bool | None = None

    @property
    def label(self) -> str:
        if self.batch_commit is None:
            return self.consumer
        return f"{self.consumer} ({'batch' if self.batch_commit else 'one at a time'})"

    @property
    def durable(self) -> str:
        return "analytics" if self.consumer == NOOP else self.consumer

    @property
    def module(self) -> str:
        return "tools.bench.noop_consumer" if self.consumer == NOOP else f"workers.{self.consumer}"

    @property
    def prefix(self) -> str:
        return "NOOP_CONSUMER" if self.consumer == NOOP else self.consumer.upper()


def plan(consumers: list[str], commits: list[bool]) -> list[Run]:
    """Each consumer in `DRAINERS` order; the database ones and the no-op once per commit mode."""
    runs = []
    for name in DRAINERS:
        if name not in consumers:
            continue
        if name == "notification":
            runs.append(Run(name))
        else:
            runs.extend(Run(name, batch) for batch in commits)
    return runs


def catch_up_seconds(rate: float | None) -> float | None:
    """How long the backlog of an outage takes to drain while orders keep arriving; None if the
    consumer is not faster than the arrivals."""
    if rate is None or rate <= ARRIVALS_PER_SECOND:
        return None
    return OUTAGE_SECONDS * ARRIVALS_PER_SECOND / (rate - ARRIVALS_PER_SECOND)


async def drain_bench(
    events: int, runs: list[Run], data: Path, say: Callable[[str], None], progress: Progress
) -> dict[str, Any]:
    nats_port, smtp_port = free_ports(2)
    url = f"nats://127.0.0.1:{nats_port}"
    servers = [
        Process("nats", nats_server_argv(data / "nats", nats_port), log=data / "logs" / "nats.log"),
        Process(
            "smtp-sink",
            [sys.executable, "-m", "tools.smtp_sink"],
            {"SMTP_SINK_PORT": str(smtp_port), "SMTP_SINK_MAILDIR": str(data / "mail")},
            log=data / "logs" / "smtp-sink.log",
        ),
    ]
    ready = [nats_ready(url), port_open(smtp_port)]
    result: dict[str, Any] = {"machine": machine(), "events": events, "runs": []}
    try:
        for server, check in zip(servers, ready, strict=True):
            say(f"starting {server.name}")
            server.start()
            await _ready(check, server)
        nc = await nats.connect(url, name="orders-bench-drain")
        try:
            js = nc.jetstream()
            await provision(js)
            await publish_backlog(js, events, progress(f"backlog of {events} events", events))
            context = _Context(js, url, smtp_port, data, servers[0])
            for run in runs:
                result["runs"].append(await _drain(context, run, events, progress))
        finally:
            await nc.close()
    finally:
        for server in reversed(servers):
            server.stop()
    result["outage"] = {
        "seconds": OUTAGE_SECONDS,
        "arrivals_per_second": ARRIVALS_PER_SECOND,
        "backlog": int(OUTAGE_SECONDS * ARRIVALS_PER_SECOND),
    }
    return result


@dataclass
class _Context:
    js: JetStreamContext
    nats_url: str
    smtp_port: int
    data: Path
    nats: Process


async def _ready(check: Callable[[], Any], process: Process) -> None:
    try:
        await wait_until(check, what=f"{process.name} ready", within=60, process=process)
    except (TimeoutError, RuntimeError) as exc:
        raise CliError(f"could not start the drain bench: {exc}") from exc


async def _drain(ctx: _Context, run: Run, events: int, progress: Progress) -> dict[str, Any]:
    # A durable created afresh starts at the stream's first event: each run drains it all.
    with contextlib.suppress(NotFoundError):
        await ctx.js.delete_consumer(STREAM, run.durable)
    await ctx.js.add_consumer(STREAM, consumer_config(run.durable))
    port = free_ports(1)[0]
    name = run.label.replace(" ", "-").replace("(", "").replace(")", "")
    env = {
        f"{run.prefix}_PORT": str(port),
        f"{run.prefix}_DATABASE_URL": f"sqlite+aiosqlite:///{ctx.data / 'db' / name}.db",
        "ORDERS_NATS_URL": ctx.nats_url,
        "ORDERS_SERVICE_TOKEN": secrets.token_urlsafe(16),
        "NOTIFICATION_SMTP_PORT": str(ctx.smtp_port),
    }
    if run.batch_commit is not None:
        env[f"{run.prefix}_BATCH_COMMIT"] = str(run.batch_commit).lower()
    process = Process(
        name, [sys.executable, "-m", run.module], env, log=ctx.data / "logs" / f"{name}.log"
    )
    base = f"http://127.0.0.1:{port}"
    process.start()
    try:
        # Watched from its start: once bound, a batch-committing consumer drains a small backlog
        # faster than a readiness probe answers.
        measured = await _measure(ctx, run, events, process, progress(run.label, events))
        await _ready(http_ok(f"{base}/healthz"), process)
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            metrics = (await http.get("/metrics")).text
    finally:
        process.stop()
    counts = _counts(metrics, run.durable)
    return {
        "consumer": run.consumer,
        "label": run.label,
        "batch_commit": run.batch_commit,
        **measured,
        "catch_up_seconds": catch_up_seconds(measured["events_per_second"]),
        **counts,
        "nothing_lost": counts["applied"] == events and counts["dead_lettered"] == 0,
    }


async def _measure(
    ctx: _Context, run: Run, events: int, process: Process, advance: Callable[[int], None]
) -> dict[str, Any]:
    """From the first delivery to nothing pending or in flight: events, seconds, CPU."""
    assert process.popen is not None and ctx.nats.popen is not None
    pids = {"consumer": process.popen.pid, "nats": ctx.nats.popen.pid}
    start: tuple[float, int, dict[str, float]] | None = None
    moved, last = time.monotonic(), -1
    while True:
        info = await ctx.js.consumer_info(STREAM, run.durable)
        now = time.monotonic()
        cpu = {name: tree_cpu_seconds(pid, {}) for name, pid in pids.items()}
        done = events - (info.num_pending or 0) - (info.num_ack_pending or 0)
        advance(done)
        if start is None and (info.delivered.consumer_seq or 0) > 0:
            start = (now, done, cpu)
        if done >= events:
            break
        if done != last:
            moved, last = now, done
        if start is None and now - moved > STARTUP_SECONDS:
            raise CliError(
                f"{run.label}: no delivery within {STARTUP_SECONDS:.0f} s; see {process.log}"
            )
        if now - moved > STALL_SECONDS or not process.alive:
            raise CliError(
                f"{run.label}: stuck at {done} of {events} events; see {process.log}"
                + (f":\n{process.tail()}" if not process.alive else "")
            )
        # Until the first delivery, closely: the clock starts at the first sample that sees it.
        await asyncio.sleep(SAMPLE_SECONDS if start is not None else FIRST_SAMPLE_SECONDS)
    assert start is not None
    began, done_at_start, cpu_at_start = start
    measured = events - done_at_start
    seconds = now - began
    rate = measured / seconds if measured > 0 and seconds > 0 else None
    per_event = {
        name: (cpu[name] - cpu_at_start[name]) / measured if measured > 0 else None for name in pids
    }
    return {
        "measured_events": measured,
        "seconds": seconds,
        "events_per_second": rate,
        "cpu_seconds_per_event": per_event["consumer"],
        "nats_cpu_seconds_per_event": per_event["nats"],
    }


def _counts(metrics: str, consumer: str) -> dict[str, int]:
    found = {"processed": 0, "duplicate": 0, "failed": 0, "dead_lettered": 0}
    for family in text_string_to_metric_families(metrics):
        for sample in family.samples:
            kind = sample.name.removeprefix("orders_consumer_events_").removesuffix("_total")
            if sample.labels.get("consumer") == consumer and kind in found:
                found[kind] = int(sample.value)
    return {
        "applied": found["processed"],
        "duplicates": found["duplicate"],
        "failures": found["failed"],
        "dead_lettered": found["dead_lettered"],
    }
