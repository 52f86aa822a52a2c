"""What every API command shares: its options, the transport seam, how an error ends it.

An error becomes one line on stderr and an exit code: 1 when the API refused, 2 when it could
not be reached. Never a traceback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Annotated, Any, TypeVar

import httpx
import typer

from cli.errors import CliError

T = TypeVar("T")

DEFAULT_API = "http://127.0.0.1:8000"
ApiUrl = Annotated[
    str,
    typer.Option(
        "--api", envvar="ORDERS_API_URL", metavar="URL", help="Base URL of the orders API."
    ),
]
ApiKey = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        envvar="ORDERS_API_KEY",
        metavar="KEY",
        show_envvar=True,
        help="API key sent as a bearer token; default: $ORDERS_DATA_DIR/dev-api-key.",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the order(s) as JSON lines.")]


def transport() -> httpx.AsyncBaseTransport | None:
    """The transport every client uses: the network. Tests swap in an `httpx.MockTransport`."""
    return None


def run(work: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; a `CliError` becomes one line on stderr and its exit code."""
    try:
        return asyncio.run(work)
    except CliError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None


# --- the bus commands' options ---

DEFAULT_NATS = "nats://127.0.0.1:4222"
NatsUrl = Annotated[
    str,
    typer.Option("--nats", envvar="ORDERS_NATS_URL", metavar="URL", help="The NATS server."),
]


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
