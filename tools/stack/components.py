"""The processes of the local stack, in the order they start, each with what tells it is ready."""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from cli.bus.provision import provision_at
from orders.bus import CONSUMERS
from orders.encryption import CodecSettings
from tools.stack.processes import Process, executable, wait_until
from tools.stack.ready import http_ok, nats_ready, pollers_ready, port_open, temporal_ready
from tools.stack.secrets import DevSecrets, dev_keys_file, dev_token
from tools.stack.servers import nats_server_argv, temporal_dev_server_argv
from tools.stack.settings import DEV_RATE_LIMIT, SERVICES, DevSettings


@dataclass
class Component:
    name: str
    argv: list[str]
    ready: Callable[[], Awaitable[bool]]
    env: dict[str, str] = field(default_factory=dict)
    within: float = 30.0
    then: Callable[[], Awaitable[object]] | None = None
    """What runs once it is ready, before the next one starts."""


async def start(
    part: Component, log: Path, started: list[Process], *, echo: bool = False
) -> Process:
    """Start `part` (into `started` at once, so a caller's cleanup stops it), wait until it is
    ready, then run its `then`: how every starter of the stack (`orders dev`, the bench, the
    chaos tests) brings up each component."""
    process = Process(part.name, part.argv, part.env, log=log, echo=echo)
    process.start()
    started.append(process)
    await wait_until(part.ready, what=f"{part.name} ready", within=part.within, process=process)
    if part.then is not None:
        try:
            await part.then()
        except Exception as exc:
            raise RuntimeError(f"{part.name}: {exc}") from exc
    return process


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
            "nats",
            nats_server_argv(data / "nats", settings.nats_port),
            nats_ready(nats_url),
            # The streams and consumers, as `orders bus provision` makes them in a deployment.
            then=lambda: provision_at(nats_url),
        ),
        Component(
            "smtp-sink",
            [sys.executable, "-m", "tools.smtp_sink"],
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
