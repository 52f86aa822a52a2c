"""Real servers the tests start as processes: a Temporal dev server and the participants.

Each registers its own stop on the caller's `AsyncExitStack`, so a fixture or a script owns the
lifetime and nothing outlives it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
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


def _stopped(process: Process) -> None:
    process.stop()


@dataclass(frozen=True)
class TemporalDevServer:
    address: str
    """host:port of the frontend, for clients and workers."""
    ui_url: str | None
    """The Web UI's base URL, when it was asked for."""


async def start_temporal(
    data: Path, stack: AsyncExitStack, *, ui: bool = False, extra_args: Sequence[str] = ()
) -> TemporalDevServer:
    """A dev server on free ports; `ui` serves the Web UI too. `extra_args` go to `start-dev`
    as they are (for example `--ui-codec-endpoint <url>`)."""
    port, ui_port = free_port(), free_port() if ui else None
    argv = [*temporal_dev_server_argv(data / "temporal.db", port, ui_port), *extra_args]
    server = Process("temporal", argv, log=data / "log")
    server.start()
    stack.callback(_stopped, server)
    address = f"127.0.0.1:{port}"
    await wait_until(
        temporal_ready(address), what="the Temporal dev server", within=60, process=server
    )
    ui_url = None if ui_port is None else f"http://127.0.0.1:{ui_port}"
    if ui_url is not None:
        await wait_until(http_ok(ui_url), what="the Temporal Web UI", within=60, process=server)
    return TemporalDevServer(address, ui_url)


async def start_participants(data: Path, stack: AsyncExitStack) -> Participants:
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
