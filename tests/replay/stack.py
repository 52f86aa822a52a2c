"""A fresh local stack for recording histories: the processes `orders dev` runs, on free ports.

A Temporal dev server on a new SQLite file (WAL, search attributes registered), nats-server with
JetStream, and the three participant services as processes, all under one temporary directory;
the orchestrator worker runs in this process. Everything stops when the context exits.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client

from cli.stack import (
    Process,
    free_port,
    http_ok,
    temporal_dev_server_argv,
    temporal_ready,
    wait_until,
)
from orders.settings import Settings
from orders.temporal import connect
from tests.integration.participants import SERVICES, Participants
from tests.nats import NatsServer
from workers.orchestrator import running_worker

IDENTITY = "make-histories"
"""The client's and worker's identity in the recorded histories (instead of pid@hostname)."""


@dataclass(frozen=True)
class Stack:
    client: Client
    settings: Settings
    participants: Participants
    nats: NatsServer


def _stopped(process: Process) -> None:
    process.stop()


async def _temporal(data: Path, stack: AsyncExitStack) -> str:
    port = free_port()
    server = Process(
        "temporal", temporal_dev_server_argv(data / "temporal.db", port, None), log=data / "log"
    )
    server.start()
    stack.callback(_stopped, server)
    address = f"127.0.0.1:{port}"
    await wait_until(
        temporal_ready(address), what="the Temporal dev server", within=60, process=server
    )
    return address


async def _participants(data: Path, stack: AsyncExitStack) -> Participants:
    processes, urls = [], {}
    for name in SERVICES:
        port, prefix = free_port(), name.upper()
        env = {
            f"{prefix}_HOST": "127.0.0.1",
            f"{prefix}_PORT": str(port),
            f"{prefix}_DATABASE_URL": f"sqlite+aiosqlite:///{data / name}.db",
        }
        process = Process(
            name, [sys.executable, "-m", f"services.{name}"], env, data / f"{name}.log"
        )
        process.start()
        stack.callback(_stopped, process)
        processes.append(process)
        urls[name] = f"http://127.0.0.1:{port}"
    for process in processes:
        await wait_until(
            http_ok(f"{urls[process.name]}/healthz"), what=process.name, process=process
        )
    return Participants(urls)


def _folders(data: Path, *names: str) -> list[Path]:
    folders = [data / name for name in names]
    for folder in folders:
        folder.mkdir(parents=True)
    return folders


@asynccontextmanager
async def local_stack(data: Path) -> AsyncIterator[Stack]:
    temporal, nats_data, services = _folders(data, "temporal", "nats", "participants")
    async with AsyncExitStack() as stack:
        address = await _temporal(temporal, stack)
        nats = NatsServer(nats_data, free_port())
        await nats.start()
        stack.callback(nats.stop)
        participants = await _participants(services, stack)
        settings = Settings(
            inventory_url=participants.urls["inventory"],
            payment_url=participants.urls["payment"],
            shipping_url=participants.urls["shipping"],
            nats_url=nats.url,
        )
        client = await connect(target_host=address, namespace="default", identity=IDENTITY)
        await stack.enter_async_context(running_worker(client, settings))
        yield Stack(client, settings, participants, nats)
