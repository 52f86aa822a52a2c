"""Real servers the tests start as processes: a Temporal dev server and the participants.

Each registers its own stop on the caller's `AsyncExitStack`, so a fixture or a script owns the
lifetime and nothing outlives it.
"""

from __future__ import annotations

import sys
from contextlib import AsyncExitStack
from pathlib import Path

from cli.stack import (
    Process,
    free_port,
    http_ok,
    temporal_dev_server_argv,
    temporal_ready,
    wait_until,
)
from tests.integration.participants import SERVICES, Participants
from tests.tokens import SERVICE_TOKEN


def _stopped(process: Process) -> None:
    process.stop()


async def start_temporal(data: Path, stack: AsyncExitStack) -> str:
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


async def start_participants(data: Path, stack: AsyncExitStack) -> Participants:
    processes, urls = [], {}
    for name in SERVICES:
        port, prefix = free_port(), name.upper()
        env = {
            f"{prefix}_HOST": "127.0.0.1",
            f"{prefix}_PORT": str(port),
            f"{prefix}_DATABASE_URL": f"sqlite+aiosqlite:///{data / name}.db",
            f"{prefix}_ENABLE_ADMIN": "true",  # the tests inject faults
            "ORDERS_SERVICE_TOKEN": SERVICE_TOKEN,
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
