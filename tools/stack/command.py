"""`orders dev`: the whole local stack in one process tree, started in dependency order.

Temporal dev server (SQLite in `$ORDERS_DATA_DIR`, WAL, Web UI) → nats-server with JetStream,
then its streams and consumers (as `orders bus provision` makes them) → the SMTP sink → the
participant services → the side-effect consumers → the orchestrator worker → the API → the
codec server, each once the one before answers. Each child's output is prefixed with its name;
Ctrl-C or SIGTERM stops them all, in reverse order. The data stays for the next run.

Payloads are encrypted (docs/encryption.md) with `ORDERS_CODEC_KEYS` when set, else with a key
made under the data directory on first run; the Web UI decrypts them through the codec server,
which trusts the UI's origin (the dev UI cannot send a token) and wants the token in
`<data>/codec-server-token` from anyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from pathlib import Path

import typer

from orders.bus import CONSUMERS
from orders.telemetry import wanted_exporters
from tools.stack.components import components, start
from tools.stack.processes import Process
from tools.stack.secrets import CODEC_TOKEN_FILE, DevSecrets, dev_secrets
from tools.stack.settings import SERVICES, DevSettings


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
            await start(component, data / "logs" / f"{component.name}.log", started, echo=True)
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


def dev() -> None:
    """Run the whole local stack: Temporal, NATS, services, consumers, worker, API.

    Temporal dev server (with its Web UI), nats-server with JetStream, the SMTP
    sink, the three participant services, the three consumers, the worker, the
    API and the codec server, each on its port, with their data in one folder.

    Ports come from TEMPORAL_PORT, TEMPORAL_UI_PORT, NATS_PORT, SMTP_SINK_PORT,
    INVENTORY_PORT, PAYMENT_PORT, SHIPPING_PORT, NOTIFICATION_PORT, LOYALTY_PORT,
    ANALYTICS_PORT, ORDERS_API_PORT, ORDERS_CODEC_SERVER_PORT and
    WORKER_METRICS_PORT; the data folder from ORDERS_DATA_DIR (default .data).
    Ctrl-C stops everything; the data stays for the next run.
    """
    raise typer.Exit(asyncio.run(run_dev(DevSettings())))
