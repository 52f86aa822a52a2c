"""`orders place`: demo orders through the API, one at a time or many at once."""

from __future__ import annotations

import json
from collections import Counter
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cli import credentials, options
from cli.options import DEFAULT_API, ApiKey, ApiUrl, AsJson
from cli.order.client import ApiClient, FaultsClient
from cli.order.placing import SETTLED, Batch, place_all, place_slow
from cli.order.render import show_batch, show_order, slow_hint
from cli.order.scenarios import DEFAULT_CUSTOMER, Scenario, order_body

DEFAULT_SHIPPING = "http://127.0.0.1:8103"
DEFAULT_WAIT = 30.0


def place(
    scenario: Annotated[
        Scenario,
        typer.Option(
            metavar="SCENARIO",
            help="happy, out-of-stock, declined, undeliverable or slow: see above.",
        ),
    ] = Scenario.HAPPY,
    count: Annotated[int, typer.Option(min=1, help="How many orders to place.")] = 1,
    concurrency: Annotated[
        int, typer.Option(min=1, help="How many requests to have in flight at once.")
    ] = 8,
    customer: Annotated[
        str, typer.Option(metavar="ID", help="The customer_id of the order(s).")
    ] = DEFAULT_CUSTOMER,
    wait: Annotated[
        float,
        typer.Option(
            min=0,
            metavar="SECONDS",
            help="How long the API may hold each request for the order to settle; 0: don't "
            "wait. With --scenario slow: how long to wait for each order to reach shipping.",
        ),
    ] = DEFAULT_WAIT,
    slow_ms: Annotated[
        int, typer.Option(min=1, help="--scenario slow: how long the shipping call takes.")
    ] = 8000,
    shipping_url: Annotated[
        str,
        typer.Option(
            envvar="ORDERS_SHIPPING_URL",
            metavar="URL",
            help="--scenario slow: the shipping service, whose fault routes slow it down.",
        ),
    ] = DEFAULT_SHIPPING,
    as_json: AsJson = False,
    api: ApiUrl = DEFAULT_API,
    api_key: ApiKey = None,
) -> None:
    """Place demo orders, one body per scenario, and show how they ended.

    Scenarios:
      happy          completes
      out-of-stock   RARE-9 is never in stock: nothing is charged
      declined       tok_chargeDeclined: the reservation is released
      undeliverable  ships to AQ: refunded, then the reservation released
      slow           a happy order, its shipping slowed so that you can cancel it

    A FAILED order is a correct outcome: exit 0. An order the API refuses: exit 1.
    An API that cannot be reached: exit 2.

    Examples:

      orders place

      orders place --scenario declined

      orders place --count 200 --concurrency 32 --scenario happy

      orders place --scenario slow --slow-ms 15000

      orders place --count 5 --json | jq .status
    """
    bodies = [order_body(scenario, customer) for _ in range(count)]
    stderr = Console(stderr=True)
    progress = Progress(
        TextColumn("placing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=count == 1 or not stderr.is_terminal,
    )
    task = progress.add_task("placing", total=count)

    def advance() -> None:
        progress.advance(task)

    async def work() -> Batch:
        async with ApiClient(
            api, transport=options.transport(), token=credentials.api_key(api_key)
        ) as client:
            if scenario is not Scenario.SLOW:
                return await place_all(
                    client, bodies, wait=wait, concurrency=concurrency, advance=advance
                )
            async with FaultsClient(
                shipping_url,
                service="shipping",
                transport=options.transport(),
                token=credentials.service_token(),
            ) as shipping:
                return await place_slow(
                    client,
                    shipping,
                    bodies,
                    latency_ms=slow_ms,
                    concurrency=concurrency,
                    within=wait or DEFAULT_WAIT,
                    advance=advance,
                )

    with progress:
        batch = options.run(work())
    _show_placed(
        batch, count=count, as_json=as_json, slow_ms=slow_ms if scenario is Scenario.SLOW else 0
    )


def _show_placed(batch: Batch, *, count: int, as_json: bool, slow_ms: int) -> None:
    console = Console()
    if as_json:
        for order in batch.orders:
            typer.echo(json.dumps(order))
    elif count > 1:
        show_batch(console, batch)
    elif batch.orders:
        order = batch.orders[0]
        show_order(console, order)
        if order["status"] not in SETTLED and not slow_ms:
            console.print(f"still running: follow with `orders status {order['order_id']}`")
    if slow_ms:
        for order in batch.orders:
            typer.echo(slow_hint(order, slow_ms), err=as_json)
    refused = Counter(str(error) for error in batch.errors)
    for message, times in refused.items():
        typer.echo(f"error: {message}" + (f" (x{times})" if times > 1 else ""), err=True)
    if refused:
        raise typer.Exit(1)
