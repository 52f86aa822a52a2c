"""The `orders` command: one group of commands per subpackage of `cli`, each imported only when
it runs.

`orders status` needs httpx and rich; `orders audit` needs the Temporal client, the workflow and
NATS. Importing every group for every command made each one pay for all of them (seconds on a
busy machine), so the root lists its commands by name and summary (`COMMANDS`) and imports a
command's module only to run it or to show its own help.

The local stack (`orders dev`) and the benchmark (`orders bench`) are not part of the product:
they come with the `tools` package (`pip install -e tools`, which `make` does), through the
`hybrid_orders.commands` entry points. Without the tools, asking for one says how to get them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import entry_points
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

TOOL_COMMANDS = "hybrid_orders.commands"
"""The entry-point group through which the tools package adds its commands."""

COMMANDS: dict[str, tuple[str, str]] = {
    "place": (
        "cli.order.place:place",
        "Place demo orders, one body per scenario, and show how they ended.",
    ),
    "status": (
        "cli.order.commands:status",
        "Show an order: status, total, each step, what was undone, the Temporal UI link.",
    ),
    "cancel": (
        "cli.order.commands:cancel",
        "Cancel an order in flight: what it did so far is undone, and it ends CANCELLED.",
    ),
    "replay": (
        "cli.history.commands:replay_command",
        "Replay recent histories against this checkout's workflow: run before a deploy.",
    ),
    "audit": (
        "cli.audit.commands:audit_command",
        "Check every order against every source: exit 1 on any violation, 2 if one is unreachable.",
    ),
    "compensation": (
        "cli.order.compensation:compensation_app",
        "Finish an order left COMPENSATION_FAILED: retry what is left, or record it by hand.",
    ),
    "dlq": (
        "cli.dlq.commands:dlq_app",
        "Dead letters: the events a consumer gave up on. List, re-feed or purge them.",
    ),
    "bus": (
        "cli.bus.commands:bus_app",
        "The event bus topology: provision the streams and consumers, show how they stand.",
    ),
    "events": (
        "cli.events.commands:events_app",
        "Order events on the bus: re-feed them to one consumer.",
    ),
    "history": (
        "cli.history.commands:history_app",
        "Workflow histories of orders: export them as JSON, for replay tests.",
    ),
    "codec": (
        "cli.codec.commands:codec_app",
        "Payload encryption keys.",
    ),
    "keys": (
        "cli.keys.commands:keys_app",
        "Manage API keys.",
    ),
    "dev": (
        f"{TOOL_COMMANDS}:dev",
        "Run the whole local stack: Temporal, NATS, services, consumers, worker, API.",
    ),
    "bench": (
        f"{TOOL_COMMANDS}:bench",
        "Throughput, latency and CPU per order of the real stack, against a no-op workflow.",
    ),
}
"""Each command: where it lives (`module:attribute`, or an entry point of the tools) and the
summary `orders --help` shows without importing it (a test holds it to the command's own)."""


def _not_installed(name: str, why: str) -> Callable[[], None]:
    def command() -> None:
        typer.echo(
            f"orders {name}: {why}; it comes with the tools package of a checkout "
            "(make install, or: pip install -e '.[local,bench]' -e tools)",
            err=True,
        )
        raise typer.Exit(2)

    command.__doc__ = COMMANDS[name][1]
    return command


def _target(name: str) -> Any:
    """The function or Typer app behind command `name`, imported now."""
    where, attribute = COMMANDS[name][0].split(":")
    if where != TOOL_COMMANDS:
        return getattr(importlib.import_module(where), attribute)
    point = next((p for p in entry_points(group=TOOL_COMMANDS) if p.name == attribute), None)
    if point is None:
        return _not_installed(name, "not installed here")
    try:
        return point.load()
    except ImportError as exc:  # the tools without their extras
        return _not_installed(name, f"cannot import {exc.name or exc}")


def load(name: str) -> TyperCommand | TyperGroup:
    """Command `name` as typer runs it."""
    target = _target(name)
    if isinstance(target, typer.Typer):
        group = typer.main.get_group(target)
        group.name = name
        return group
    alone = typer.Typer(add_completion=False)
    alone.command(name)(target)
    command = typer.main.get_command(alone)
    assert isinstance(command, TyperCommand)  # one command and no callback: that command
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """The root group: lists `COMMANDS` from their summaries, imports one only to run it.

    Contexts and formatters are typed `Any`: typer passes its own copy of click's types."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> TyperCommand | TyperGroup | None:
        if cmd_name not in COMMANDS:
            return None
        if self._listing:
            return TyperCommand(cmd_name, help=COMMANDS[cmd_name][1])
        return load(cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        with self._summaries():
            super().format_help(ctx, formatter)

    @contextmanager
    def _summaries(self) -> Iterator[None]:
        self._listing = True
        try:
            yield
        finally:
            self._listing = False


app = typer.Typer(
    cls=LazyGroup,
    help="hybrid-orders: durable order processing on Temporal.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """hybrid-orders: durable order processing on Temporal."""


def main() -> None:
    try:
        app()
    except Exception as exc:
        # A setting from the environment that does not parse, read as a command loads (pydantic
        # is imported here only on the way out: `orders --help` stays light).
        from cli.errors import bad_settings

        message = bad_settings(exc)
        if message is None:
            raise
        typer.echo(f"error: {message}", err=True)
        raise SystemExit(2) from None
