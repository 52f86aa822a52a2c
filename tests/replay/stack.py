"""A fresh local stack for recording histories: the processes `orders dev` runs, on free ports.

A Temporal dev server on a new SQLite file (WAL, search attributes registered), nats-server with
JetStream, and the three participant services as processes, all under one temporary directory;
the orchestrator worker runs in this process. Everything stops when the context exits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client

from orders.settings import Settings
from orders.temporal import connect
from tests.integration.participants import Participants
from tests.nats import NatsServer, running_nats
from tests.servers import start_participants, start_temporal
from tests.tokens import SERVICE_TOKEN
from workers.orchestrator import running_worker

IDENTITY = "make-histories"
"""The client's and worker's identity in the recorded histories (instead of pid@hostname)."""


@dataclass(frozen=True)
class Stack:
    client: Client
    settings: Settings
    participants: Participants
    nats: NatsServer


def _folders(data: Path, *names: str) -> list[Path]:
    folders = [data / name for name in names]
    for folder in folders:
        folder.mkdir(parents=True)
    return folders


@asynccontextmanager
async def local_stack(data: Path) -> AsyncIterator[Stack]:
    temporal, nats_data, services = _folders(data, "temporal", "nats", "participants")
    async with AsyncExitStack() as stack:
        address = (await start_temporal(temporal, stack)).address
        nats = await stack.enter_async_context(running_nats(nats_data))
        participants = await start_participants(services, stack)
        settings = Settings(
            inventory_url=participants.urls["inventory"],
            payment_url=participants.urls["payment"],
            shipping_url=participants.urls["shipping"],
            nats_url=nats.url,
            service_token=SERVICE_TOKEN,
        )
        client = await connect(target_host=address, namespace="default", identity=IDENTITY)
        await stack.enter_async_context(running_worker(client, settings))
        yield Stack(client, settings, participants, nats)
