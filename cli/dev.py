"""`orders dev`: the whole local stack in one process tree, started in dependency order.

Temporal dev server (SQLite in `$ORDERS_DATA_DIR`, WAL, Web UI) → nats-server with JetStream
→ the three participant services → the orchestrator worker → the API. Each child's output is
prefixed with its name; Ctrl-C or SIGTERM stops them all, in reverse order. The data stays.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
from pathlib import Path

import typer
from pydantic import Field
from pydantic_settings import BaseSettings

from cli.stack import (
    Process,
    executable,
    http_ok,
    nats_ready,
    nats_server_argv,
    temporal_dev_server_argv,
    temporal_ready,
    wait_until,
)
from orders.temporal import connect, has_workflow_pollers

SERVICES = ("inventory", "payment", "shipping")


class DevSettings(BaseSettings):
    """Ports and the data directory of the local stack, from the environment."""

    data_dir: Path = Field(default=Path(".data"), validation_alias="ORDERS_DATA_DIR")
    temporal_port: int = Field(default=7233, validation_alias="TEMPORAL_PORT")
    temporal_ui_port: int = Field(default=8233, validation_alias="TEMPORAL_UI_PORT")
    inventory_port: int = Field(default=8101, validation_alias="INVENTORY_PORT")
    payment_port: int = Field(default=8102, validation_alias="PAYMENT_PORT")
    shipping_port: int = Field(default=8103, validation_alias="SHIPPING_PORT")
    api_port: int = Field(default=8000, validation_alias="ORDERS_API_PORT")
    nats_port: int = Field(default=4222, validation_alias="NATS_PORT")

    def ports(self) -> dict[str, tuple[str, int]]:
        """Each port the stack binds: what uses it and the variable that moves it."""
        return {
            "Temporal": ("TEMPORAL_PORT", self.temporal_port),
            "Temporal Web UI": ("TEMPORAL_UI_PORT", self.temporal_ui_port),
            "NATS": ("NATS_PORT", self.nats_port),
            **{name: (f"{name.upper()}_PORT", getattr(self, f"{name}_port")) for name in SERVICES},
        }


def port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def say(message: str) -> None:
    typer.echo(f"{'dev':<10}| {message}")


async def run_dev(settings: DevSettings) -> int:
    taken = [
        f"port {port} ({what}) is already in use: stop what holds it or set {variable}"
        for what, (variable, port) in settings.ports().items()
        if port_taken(port)
    ]
    if taken:
        for line in taken:
            typer.echo(f"orders dev: {line}", err=True)
        return 1

    data = settings.data_dir.resolve()
    data.mkdir(parents=True, exist_ok=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    started: list[Process] = []

    def launch(name: str, argv: list[str], env: dict[str, str] | None = None) -> Process:
        process = Process(name, argv, env or {}, log=data / "logs" / f"{name}.log", echo=True)
        process.start()
        started.append(process)
        return process

    address = f"127.0.0.1:{settings.temporal_port}"
    ui_url = f"http://localhost:{settings.temporal_ui_port}"
    urls = {name: f"http://127.0.0.1:{getattr(settings, f'{name}_port')}" for name in SERVICES}
    try:
        temporal = launch(
            "temporal",
            temporal_dev_server_argv(
                data / "temporal.db", settings.temporal_port, settings.temporal_ui_port
            ),
        )
        await wait_until(temporal_ready(address), what="Temporal", within=60, process=temporal)
        client = await connect(target_host=address)

        nats_url = f"nats://127.0.0.1:{settings.nats_port}"
        bus = launch("nats", nats_server_argv(data / "nats", settings.nats_port))
        await wait_until(nats_ready(nats_url), what="NATS JetStream", process=bus)

        for name in SERVICES:
            prefix = name.upper()
            service = launch(
                name,
                [sys.executable, "-m", f"services.{name}"],
                {
                    f"{prefix}_PORT": str(getattr(settings, f"{name}_port")),
                    f"{prefix}_DATABASE_URL": f"sqlite+aiosqlite:///{data / name}.db",
                },
            )
            await wait_until(http_ok(f"{urls[name]}/healthz"), what=name, process=service)

        worker = launch(
            "worker",
            [executable("orders-worker")],
            {
                "TEMPORAL_ADDRESS": address,
                "ORDERS_NATS_URL": nats_url,
                **{f"ORDERS_{name.upper()}_URL": url for name, url in urls.items()},
            },
        )
        await wait_until(lambda: has_workflow_pollers(client), what="the worker", process=worker)

        api_url = f"http://127.0.0.1:{settings.api_port}"
        api = launch(
            "api",
            [executable("orders-api")],
            {
                "TEMPORAL_ADDRESS": address,
                "ORDERS_API_PORT": str(settings.api_port),
                "ORDERS_TEMPORAL_UI_URL": ui_url,
                "ORDERS_SHIPPING_URL": urls["shipping"],
            },
        )
        await wait_until(http_ok(f"{api_url}/readyz"), what="the API", process=api)

        say("ready")
        say(f"  API               {api_url}  (OpenAPI: {api_url}/docs)")
        say(f"  Temporal Web UI   {ui_url}")
        say(f"  Temporal gRPC     {address}")
        say(f"  NATS JetStream    {nats_url}")
        for name, url in urls.items():
            say(f"  {name:<17} {url}  ({url}/docs)")
        say(f"  data              {data}")
        say(f"Try: orders place --scenario declined   (or open {ui_url})")
        say("Ctrl-C stops everything.")

        while not stop.is_set():
            dead = [process for process in started if not process.alive]
            if dead:
                say(f"{dead[0].name} exited unexpectedly; stopping the stack")
                return 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)
        return 0
    except (TimeoutError, RuntimeError) as exc:
        say(f"could not start: {exc}")
        return 1
    finally:
        say("stopping")
        for process in reversed(started):
            process.stop()
        say("stopped")
