"""The `orders` command: one group of commands per subpackage of `cli`.

The local stack (`orders dev`) and the benchmark (`orders bench`) are not part of the product:
they come with the `tools` package (`pip install -e tools`, which `make` does), through the
`hybrid_orders.commands` entry points, loaded only when one of them runs. Without the tools,
asking for one says how to get them.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

import typer

from cli.audit import commands as audit
from cli.codec import commands as codec
from cli.dlq import commands as dlq
from cli.events import commands as events
from cli.history import commands as history
from cli.keys import commands as keys
from cli.order import commands as order
from cli.order import compensation, place

TOOL_COMMANDS = "hybrid_orders.commands"
"""The entry-point group through which the tools package adds its commands."""
TOOLS = {
    "dev": "Run the whole local stack: Temporal, NATS, services, consumers, worker, API.",
    "bench": "Throughput, latency and CPU per order of the real stack, against a no-op workflow.",
}

app = typer.Typer(
    help="hybrid-orders: durable order processing on Temporal.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """hybrid-orders: durable order processing on Temporal."""


app.command()(place.place)
app.command()(order.status)
app.command()(order.cancel)
app.add_typer(compensation.compensation_app, name="compensation")
app.add_typer(dlq.dlq_app, name="dlq")
app.add_typer(events.events_app, name="events")
app.add_typer(history.history_app, name="history")
app.add_typer(codec.codec_app, name="codec")
app.add_typer(keys.keys_app, name="keys")
app.command("replay")(history.replay_command)
app.command("audit")(audit.audit_command)


def _load(name: str) -> Callable[..., Any]:
    """The tool's command function, or a one-line error saying how to install the tools."""
    point = next((p for p in entry_points(group=TOOL_COMMANDS) if p.name == name), None)
    why = "not installed here"
    if point is not None:
        try:
            function: Callable[..., Any] = point.load()
            return function
        except ImportError as exc:  # the tools without their extras
            why = f"cannot import {exc.name or exc}"
    typer.echo(
        f"orders {name}: {why}; it comes with the tools package of a checkout "
        "(make install, or: pip install -e '.[local,bench]' -e tools)",
        err=True,
    )
    raise typer.Exit(2)


def _add_tool(name: str, summary: str) -> None:
    """`orders <name>`, which imports its tool only when run: no other command (and no
    production process) imports the tools or what they need (matplotlib, the dev servers)."""

    @app.command(
        name,
        help=summary,
        add_help_option=False,  # `orders <name> --help` is the tool's own
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )
    def command(context: typer.Context) -> None:
        tool = typer.Typer(add_completion=False)
        tool.command(name)(_load(name))
        typer.main.get_command(tool).main(args=context.args, prog_name=f"orders {name}")


for _name, _summary in TOOLS.items():
    _add_tool(_name, _summary)


def main() -> None:
    app()
