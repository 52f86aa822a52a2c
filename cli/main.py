"""The `orders` command."""

from __future__ import annotations

import asyncio

import typer

from cli import (
    audit_command,
    codec_commands,
    compensation_commands,
    dlq_commands,
    events_commands,
    history_commands,
    keys_commands,
    order_commands,
    place_command,
)
from cli.bench.command import bench_command
from cli.dev import DevSettings, run_dev

app = typer.Typer(
    help="hybrid-orders: durable order processing on Temporal.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """hybrid-orders: durable order processing on Temporal."""


@app.command()
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


app.command()(place_command.place)
app.command()(order_commands.status)
app.command()(order_commands.cancel)
app.add_typer(compensation_commands.compensation_app, name="compensation")
app.add_typer(dlq_commands.dlq_app, name="dlq")
app.add_typer(events_commands.events_app, name="events")
app.add_typer(history_commands.history_app, name="history")
app.add_typer(codec_commands.codec_app, name="codec")
app.add_typer(keys_commands.keys_app, name="keys")
app.command("replay")(history_commands.replay_command)
app.command("audit")(audit_command.audit_command)
app.command("bench")(bench_command)


def main() -> None:
    app()
