"""What `orders bench` runs against: a fresh local stack of its own, or one already running.

A fresh stack is `orders dev`'s components on free ports in a new data directory, plus the no-op
worker with the orchestrator worker's environment: every run starts from empty databases, and the
pid of every process is known, so their CPU-seconds can be read. Against a running stack only the
no-op worker is started here, and CPU per process is not available.

With the saga phase (`tools.bench.saga`) three more processes join either stack: the free
participants, a NATS server of the saga's own, and a second orchestrator worker with the first
one's environment, polling the saga's task queue and calling those two instead.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.converter import DataConverter

from cli.bus.provision import provision_at
from cli.errors import CliError
from orders.bus import CONSUMERS
from orders.encryption import data_converter
from tools.bench.noop_workflow import NOOP_TASK_QUEUE
from tools.bench.saga import SAGA_TASK_QUEUE
from tools.stack.components import Component, codec_keys, components, start
from tools.stack.processes import Process, executable, free_ports
from tools.stack.ready import http_ok, nats_ready, pollers_ready
from tools.stack.secrets import dev_secrets
from tools.stack.servers import nats_server_argv
from tools.stack.settings import SERVICES, DevSettings

NOOP_WORKER = "noop-worker"
FREE_PARTICIPANTS = "free-participants"
SAGA_NATS = "saga-nats"
SAGA_WORKER = "saga-worker"


@dataclass
class Target:
    api: str
    temporal: str
    nats: str
    consumers: dict[str, str]
    api_key: str | None
    """Sent to the API: the stack's dev key."""
    service_token: str | None
    """Sent to the consumers' read endpoints."""
    converter: DataConverter
    """Decrypts the histories, with the stack's payload keys."""
    pids: dict[str, int] = field(default_factory=dict)
    """Each process of the stack by name; empty when the stack is not ours to measure."""


def noop_component(temporal: str, env: dict[str, str]) -> Component:
    return Component(
        NOOP_WORKER,
        [sys.executable, "-m", "tools.bench.noop_worker"],
        pollers_ready(temporal, NOOP_TASK_QUEUE),
        {**env, "TEMPORAL_ADDRESS": temporal},
    )


def saga_components(temporal: str, env: dict[str, str], data: Path) -> list[Component]:
    """The saga phase's processes: its worker gets `env` (the orchestrator worker's, for the same
    payload keys and tuning) with its own task queue, participants and NATS server."""
    participants_port, nats_port, metrics_port = free_ports(3)
    participants = f"http://127.0.0.1:{participants_port}"
    nats_url = f"nats://127.0.0.1:{nats_port}"
    return [
        Component(
            FREE_PARTICIPANTS,
            [sys.executable, "-m", "tools.bench.saga", "--port", str(participants_port)],
            http_ok(f"{participants}/healthz"),
        ),
        Component(
            SAGA_NATS,
            nats_server_argv(data / SAGA_NATS, nats_port),
            nats_ready(nats_url),
            # Its streams and consumers, as `orders bus provision` makes them.
            then=lambda: provision_at(nats_url),
        ),
        Component(
            SAGA_WORKER,
            [executable("orders-worker")],
            pollers_ready(temporal, SAGA_TASK_QUEUE),
            {
                **env,
                # The free participants check no token, and the stack's own goes nowhere else.
                "ORDERS_SERVICE_TOKEN": "free-participants",
                "TEMPORAL_ADDRESS": temporal,
                "ORDERS_TASK_QUEUE": SAGA_TASK_QUEUE,
                "ORDERS_NATS_URL": nats_url,
                "ORDERS_WORKER_METRICS_ADDRESS": f"127.0.0.1:{metrics_port}",
                **{f"ORDERS_{name.upper()}_URL": participants for name in SERVICES},
            },
        ),
    ]


async def _start(part: Component, data: Path, started: list[Process]) -> Process:
    try:
        return await start(part, data / "logs" / f"{part.name}.log", started)
    except (TimeoutError, RuntimeError) as exc:
        raise CliError(f"could not start the stack: {exc}") from exc


@asynccontextmanager
async def fresh_stack(
    data: Path, say: Callable[[str], None], *, saga: bool = False
) -> AsyncIterator[Target]:
    """The whole local stack and the no-op worker (and with `saga`, the saga phase's
    processes), started in order, stopped in reverse."""
    settings = DevSettings.on_free_ports(data)
    secrets = dev_secrets(data)
    converter = data_converter(codec_keys(data)[0])
    parts = components(settings, data, secrets)
    worker = next(part for part in parts if part.name == "worker")
    temporal = f"127.0.0.1:{settings.temporal_port}"
    # The worker's environment (its payload keys, its tuning): the same costs as the app's.
    parts.append(noop_component(temporal, worker.env))
    if saga:
        parts.extend(saga_components(temporal, worker.env, data))
    started: list[Process] = []
    try:
        for part in parts:
            say(f"starting {part.name}")
            await _start(part, data, started)
        yield Target(
            api=f"http://127.0.0.1:{settings.api_port}",
            temporal=temporal,
            nats=f"nats://127.0.0.1:{settings.nats_port}",
            consumers={name: f"http://127.0.0.1:{settings.port_of(name)}" for name in CONSUMERS},
            api_key=secrets.api_key,
            service_token=secrets.service_token,
            converter=converter,
            pids={p.name: p.popen.pid for p in started if p.popen is not None},
        )
    finally:
        for process in reversed(started):
            process.stop()


@asynccontextmanager
async def running_stack(
    target: Target, data: Path, *, saga: bool = False, env: dict[str, str] | None = None
) -> AsyncIterator[Target]:
    """A stack someone else runs: only the no-op worker (and with `saga`, the saga phase's
    processes) are ours, next to its Temporal server, in this environment plus `env` (the
    payload keys the CLI uses, so that they read what the bench starts)."""
    started: list[Process] = []
    # The saga's NATS store is scratch: it stays out of the results folder.
    with tempfile.TemporaryDirectory(prefix="orders-bench-saga-") as scratch:
        parts = [noop_component(target.temporal, env or {})]
        if saga:
            parts.extend(saga_components(target.temporal, env or {}, Path(scratch)))
        try:
            for part in parts:
                await _start(part, data, started)
            yield target
        finally:
            for process in reversed(started):
                process.stop()
