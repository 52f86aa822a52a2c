"""`orders dev`: the whole local stack in one process tree, started in dependency order.

Temporal dev server (SQLite in `$ORDERS_DATA_DIR`, WAL, Web UI) → nats-server with JetStream →
the SMTP sink → the participant services → the side-effect consumers → the orchestrator worker
→ the API → the codec server, each once the one before answers. Each child's output is prefixed
with its name; Ctrl-C or SIGTERM stops them all, in reverse order. The data stays for the next run.

Payloads are encrypted (docs/encryption.md) with `ORDERS_CODEC_KEYS` when set, else with a key
made under the data directory on first run; the Web UI decrypts them through the codec server,
which trusts the UI's origin (the dev UI cannot send a token) and wants the token in
`<data>/codec-server-token` from anyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import typer
from pydantic import Field
from pydantic_settings import BaseSettings

from cli.dev_secrets import CODEC_TOKEN_FILE, DevSecrets, dev_keys_file, dev_secrets, dev_token
from cli.stack import (
    Process,
    executable,
    free_ports,
    http_ok,
    nats_ready,
    nats_server_argv,
    pollers_ready,
    port_open,
    temporal_dev_server_argv,
    temporal_ready,
    wait_until,
)
from orders.encryption import CodecSettings
from orders.telemetry import wanted_exporters

SERVICES = ("inventory", "payment", "shipping")
DEV_RATE_LIMIT = "1000"
"""Requests a second (and burst) per API key on the local stack."""
CONSUMERS = ("notification", "loyalty", "analytics")
PORT_FIELDS = (
    "temporal",
    "temporal_ui",
    "nats",
    "smtp",
    *SERVICES,
    *CONSUMERS,
    "api",
    "codec_server",
    "worker_metrics",
)


class DevSettings(BaseSettings):
    """Ports and the data directory of the local stack, from the environment."""

    data_dir: Path = Field(default=Path(".data"), validation_alias="ORDERS_DATA_DIR")
    temporal_port: int = Field(default=7233, validation_alias="TEMPORAL_PORT")
    temporal_ui_port: int = Field(default=8233, validation_alias="TEMPORAL_UI_PORT")
    nats_port: int = Field(default=4222, validation_alias="NATS_PORT")
    smtp_port: int = Field(default=1025, validation_alias="SMTP_SINK_PORT")
    inventory_port: int = Field(default=8101, validation_alias="INVENTORY_PORT")
    payment_port: int = Field(default=8102, validation_alias="PAYMENT_PORT")
    shipping_port: int = Field(default=8103, validation_alias="SHIPPING_PORT")
    notification_port: int = Field(default=8201, validation_alias="NOTIFICATION_PORT")
    loyalty_port: int = Field(default=8202, validation_alias="LOYALTY_PORT")
    analytics_port: int = Field(default=8203, validation_alias="ANALYTICS_PORT")
    api_port: int = Field(default=8000, validation_alias="ORDERS_API_PORT")
    codec_server_port: int = Field(default=8089, validation_alias="ORDERS_CODEC_SERVER_PORT")
    worker_metrics_port: int = Field(default=8300, validation_alias="WORKER_METRICS_PORT")

    @classmethod
    def on_free_ports(cls, data_dir: Path) -> DevSettings:
        """A stack in `data_dir` with every port free now: for tests and `orders bench`."""
        ports = dict(
            zip((f"{name}_port" for name in PORT_FIELDS), free_ports(len(PORT_FIELDS)), strict=True)
        )
        return cls.model_validate(
            {
                str(cls.model_fields[name].validation_alias): value
                for name, value in {"data_dir": data_dir, **ports}.items()
            }
        )

    def port_of(self, name: str) -> int:
        port: int = getattr(self, f"{name}_port")
        return port

    def ports(self) -> dict[str, tuple[str, int]]:
        """Each port the stack binds: what uses it and the variable that moves it."""
        return {
            "Temporal": ("TEMPORAL_PORT", self.temporal_port),
            "Temporal Web UI": ("TEMPORAL_UI_PORT", self.temporal_ui_port),
            "NATS": ("NATS_PORT", self.nats_port),
            "SMTP sink": ("SMTP_SINK_PORT", self.smtp_port),
            **{
                name: (f"{name.upper()}_PORT", self.port_of(name))
                for name in (*SERVICES, *CONSUMERS)
            },
            "API": ("ORDERS_API_PORT", self.api_port),
            "codec server": ("ORDERS_CODEC_SERVER_PORT", self.codec_server_port),
            "worker metrics": ("WORKER_METRICS_PORT", self.worker_metrics_port),
        }


@dataclass
class Component:
    name: str
    argv: list[str]
    ready: Callable[[], Awaitable[bool]]
    env: dict[str, str] = field(default_factory=dict)
    within: float = 30.0


def service_component(name: str, port: int, data: Path, service_token: str) -> Component:
    """Participant service `name` as the local stack runs it: on `port`, its SQLite file under
    `data`, its admin routes (fault injection) on, answering holders of `service_token`."""
    prefix = name.upper()
    return Component(
        name,
        [sys.executable, "-m", f"services.{name}"],
        http_ok(f"http://127.0.0.1:{port}/healthz"),
        {
            f"{prefix}_PORT": str(port),
            f"{prefix}_DATABASE_URL": f"sqlite+aiosqlite:///{data / name}.db",
            # The local stack is where fault injection is the point.
            f"{prefix}_ENABLE_ADMIN": "true",
            "ORDERS_SERVICE_TOKEN": service_token,
        },
    )


def codec_keys(data: Path) -> tuple[CodecSettings, dict[str, str]]:
    """The keys every process that talks to Temporal gets: the environment's (inherited as
    set), else the dev key under `data`; and the variables that pass them on."""
    settings = CodecSettings()
    if settings.configured:
        return settings, {}
    path = dev_keys_file(data)
    return CodecSettings(keys_file=path), {"ORDERS_CODEC_KEYS_FILE": str(path)}


def components(settings: DevSettings, data: Path, secrets: DevSecrets) -> list[Component]:
    """Everything `orders dev` runs, in the order it starts."""
    token = {"ORDERS_SERVICE_TOKEN": secrets.service_token}
    temporal = f"127.0.0.1:{settings.temporal_port}"
    nats_url = f"nats://127.0.0.1:{settings.nats_port}"
    url = {name: f"http://127.0.0.1:{settings.port_of(name)}" for name in (*SERVICES, *CONSUMERS)}
    codec_url = f"http://127.0.0.1:{settings.codec_server_port}"
    _, keys = codec_keys(data)
    ui_origins = ",".join(
        f"http://{host}:{settings.temporal_ui_port}" for host in ("localhost", "127.0.0.1")
    )

    return [
        Component(
            "temporal",
            temporal_dev_server_argv(
                data / "temporal.db",
                settings.temporal_port,
                settings.temporal_ui_port,
                codec_endpoint=codec_url,
            ),
            temporal_ready(temporal),
            within=60,
        ),
        Component(
            "nats", nats_server_argv(data / "nats", settings.nats_port), nats_ready(nats_url)
        ),
        Component(
            "smtp-sink",
            [sys.executable, "-m", "services.smtp_sink"],
            port_open(settings.smtp_port),
            {"SMTP_SINK_PORT": str(settings.smtp_port), "SMTP_SINK_MAILDIR": str(data / "mail")},
        ),
        *(
            service_component(name, settings.port_of(name), data, secrets.service_token)
            for name in SERVICES
        ),
        *(
            Component(
                name,
                [sys.executable, "-m", f"workers.{name}"],
                http_ok(f"{url[name]}/healthz"),
                {
                    f"{name.upper()}_PORT": str(settings.port_of(name)),
                    f"{name.upper()}_DATABASE_URL": f"sqlite+aiosqlite:///{data / name}.db",
                    "ORDERS_NATS_URL": nats_url,
                    "NOTIFICATION_SMTP_PORT": str(settings.smtp_port),
                    **token,
                },
            )
            for name in CONSUMERS
        ),
        Component(
            "worker",
            [executable("orders-worker")],
            pollers_ready(temporal),
            {
                "TEMPORAL_ADDRESS": temporal,
                "ORDERS_NATS_URL": nats_url,
                "ORDERS_WORKER_METRICS_ADDRESS": f"127.0.0.1:{settings.worker_metrics_port}",
                **{f"ORDERS_{name.upper()}_URL": url[name] for name in SERVICES},
                **keys,
                **token,
            },
        ),
        Component(
            "api",
            [executable("orders-api")],
            http_ok(f"http://127.0.0.1:{settings.api_port}/readyz"),
            {
                "TEMPORAL_ADDRESS": temporal,
                "ORDERS_API_PORT": str(settings.api_port),
                "ORDERS_TEMPORAL_UI_URL": f"http://localhost:{settings.temporal_ui_port}",
                "ORDERS_SHIPPING_URL": url["shipping"],
                "ORDERS_API_KEYS_FILE": str(secrets.keys_file),
                # One dev key drives `orders place --count` and `orders bench`: a limit sized for
                # a fleet of customers would measure the limiter. The environment still wins.
                **{
                    name: os.environ.get(name, DEV_RATE_LIMIT)
                    for name in ("ORDERS_API_RATE_LIMIT_PER_SECOND", "ORDERS_API_RATE_LIMIT_BURST")
                },
                **keys,
            },
        ),
        Component(
            "codec-server",
            [executable("orders-codec-server")],
            http_ok(f"{codec_url}/healthz"),
            {
                "ORDERS_CODEC_SERVER_HOST": "127.0.0.1",
                "ORDERS_CODEC_SERVER_PORT": str(settings.codec_server_port),
                "ORDERS_CODEC_SERVER_TOKEN": dev_token(data),
                "ORDERS_CODEC_SERVER_CORS_ORIGINS": ui_origins,
                "ORDERS_CODEC_SERVER_TRUSTED_ORIGINS": ui_origins,
                **keys,
            },
        ),
    ]


def port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def say(message: str) -> None:
    typer.echo(f"{'dev':<12}| {message}")


def banner(settings: DevSettings, data: Path, secrets: DevSecrets) -> None:
    api = f"http://127.0.0.1:{settings.api_port}"
    say("ready")
    say(f"  API               {api}  (OpenAPI: {api}/docs)")
    say(f"  dev API key       {secrets.api_key}")
    say(f"                    (every scope; in {data / 'dev-api-key'}, which `orders` reads)")
    codec = f"http://127.0.0.1:{settings.codec_server_port}"
    say(f"  Temporal Web UI   http://localhost:{settings.temporal_ui_port}  (payloads decrypted)")
    say(f"  codec server      {codec}  (token in {data / CODEC_TOKEN_FILE})")
    say(f"  Temporal gRPC     127.0.0.1:{settings.temporal_port}")
    say(f"  NATS JetStream    nats://127.0.0.1:{settings.nats_port}")
    for name in (*SERVICES, *CONSUMERS):
        say(f"  {name:<17} http://127.0.0.1:{settings.port_of(name)}")
    say(f"  mail (Maildir)    {data / 'mail'}  (SMTP sink on port {settings.smtp_port})")
    say(f"  worker metrics    http://127.0.0.1:{settings.worker_metrics_port}/metrics")
    say(f"  API metrics       {api}/metrics  (and each consumer's /metrics)")
    exporters = ", ".join(wanted_exporters()) or "off (OTEL_EXPORTER_OTLP_ENDPOINT turns them on)"
    say(f"  traces            {exporters}")
    say(f"  data              {data}")
    say("Try: orders place --scenario declined")
    say("Ctrl-C stops everything.")


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
    secrets = dev_secrets(data)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    started: list[Process] = []
    try:
        for component in components(settings, data, secrets):
            process = Process(
                component.name,
                component.argv,
                component.env,
                log=data / "logs" / f"{component.name}.log",
                echo=True,
            )
            process.start()
            started.append(process)
            await wait_until(
                component.ready, what=component.name, within=component.within, process=process
            )
            if stop.is_set():
                return 0
        banner(settings, data, secrets)
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
