"""`orders status` and `orders cancel`: follow one order, or cancel it while it runs."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from cli import credentials, options
from cli.errors import ApiError, CliError
from cli.options import DEFAULT_API, ApiKey, ApiUrl, AsJson
from cli.order.client import ApiClient
from cli.order.placing import Order
from cli.order.render import show_order


def _no_order(order_id: str, exc: ApiError) -> CliError:
    return CliError(f"no order {order_id}") if exc.status == 404 else exc


def status(
    order_id: Annotated[str, typer.Argument(help="The order's id.")],
    as_json: AsJson = False,
    api: ApiUrl = DEFAULT_API,
    api_key: ApiKey = None,
) -> None:
    """Show an order: status, total, each step, what was undone, the Temporal UI link.

    Works for an order running or settled; --json prints it as the API answers it.

    Examples:

      orders status A-1001

      orders status A-1001 --json | jq .steps
    """

    async def work() -> Order:
        async with ApiClient(
            api, transport=options.transport(), token=credentials.api_key(api_key)
        ) as client:
            try:
                return await client.get(order_id)
            except ApiError as exc:
                raise _no_order(order_id, exc) from exc

    order = options.run(work())
    if as_json:
        typer.echo(json.dumps(order))
    else:
        show_order(Console(), order, steps=True)


def cancel(
    order_id: Annotated[str, typer.Argument(help="The order's id.")],
    reason: Annotated[
        str | None,
        typer.Option(metavar="TEXT", help="Why; kept on the order. Default: customer request."),
    ] = None,
    api: ApiUrl = DEFAULT_API,
    api_key: ApiKey = None,
) -> None:
    """Cancel an order in flight: what it did so far is undone, and it ends CANCELLED.

    An order that has settled (or is already being undone) can no longer be cancelled: exit 1.

    Examples:

      orders cancel A-1001

      orders cancel A-1001 --reason "ordered by mistake"
    """

    async def work() -> Order:
        async with ApiClient(
            api, transport=options.transport(), token=credentials.api_key(api_key)
        ) as client:
            try:
                return await client.cancel(order_id, reason)
            except ApiError as exc:
                raise _no_order(order_id, exc) from exc

    accepted = options.run(work())
    typer.echo(
        f"cancel accepted while {accepted['status']}: compensating; "
        f"follow with `orders status {order_id}`"
    )
