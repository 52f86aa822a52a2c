"""Real servers the tests start as processes: a Temporal dev server and the participants.

Each registers its own stop on the caller's `AsyncExitStack`, so a fixture or a script owns the
lifetime and nothing outlives it.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

from tests.integration.participants import Participants
from tests.tokens import SERVICE_TOKEN
from tools.stack.components import service_component
from tools.stack.processes import Process, executable, free_ports, wait_until
from tools.stack.ready import http_ok, temporal_ready
from tools.stack.servers import temporal_dev_server_argv
from tools.stack.settings import SERVICES


def _stopped(process: Process) -> None:
    process.stop()


@dataclass(frozen=True)
class TemporalDevServer:
    address: str
    """host:port of the frontend, for clients and workers."""
    ui_url: str | None
    """The Web UI's base URL, when it was asked for."""


async def start_temporal(
    data: Path, stack: AsyncExitStack, *, ui: bool = False
) -> TemporalDevServer:
    """A dev server on free ports. With `ui` it serves the Web UI too, which decrypts payloads
    through a codec server started beside it (trusting the UI's origin, as `orders dev` does)."""
    port, web_port, codec_port = free_ports(3)
    ui_port = web_port if ui else None
    codec_url = None
    if ui_port is not None:
        origins = f"http://127.0.0.1:{ui_port},http://localhost:{ui_port}"
        codec_url = f"http://127.0.0.1:{codec_port}"
        codec = Process(
            "codec-server",
            [executable("orders-codec-server")],
            {
                "ORDERS_CODEC_SERVER_HOST": "127.0.0.1",
                "ORDERS_CODEC_SERVER_PORT": str(codec_port),
                "ORDERS_CODEC_SERVER_CORS_ORIGINS": origins,
                "ORDERS_CODEC_SERVER_TRUSTED_ORIGINS": origins,
            },
            log=data / "codec-server.log",
        )
        codec.start()
        stack.callback(_stopped, codec)
        await wait_until(http_ok(f"{codec_url}/healthz"), what="the codec server", process=codec)
    argv = temporal_dev_server_argv(data / "temporal.db", port, ui_port, codec_url)
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
    # Admin routes on, as in the local stack: the tests inject faults.
    ports = dict(zip(SERVICES, free_ports(len(SERVICES)), strict=True))
    started = []
    for name, port in ports.items():
        component = service_component(name, port, data, SERVICE_TOKEN)
        process = Process(name, component.argv, component.env, data / f"{name}.log")
        process.start()
        stack.callback(_stopped, process)
        started.append((component, process))
    for component, process in started:
        await wait_until(component.ready, what=process.name, process=process)
    return Participants({name: f"http://127.0.0.1:{port}" for name, port in ports.items()})
