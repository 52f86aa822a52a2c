"""The `orders` command."""

from __future__ import annotations

import asyncio

import typer

from cli import (
    audit_command,
    codec_commands,
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
    """Run the whole local stack: Temporal dev server, participant services, worker, API.

    Ports and the data directory come from TEMPORAL_PORT, TEMPORAL_UI_PORT, INVENTORY_PORT,
    PAYMENT_PORT, SHIPPING_PORT, ORDERS_API_PORT and ORDERS_DATA_DIR (default .data).
    Ctrl-C stops everything; the data stays for the next run.
    """
    raise typer.Exit(asyncio.run(run_dev(DevSettings())))


app.command()(place_command.place)
app.command()(order_commands.status)
app.command()(order_commands.cancel)
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
