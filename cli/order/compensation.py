"""`orders compensation`: finish an order left COMPENSATION_FAILED, as an operator.

An undo that failed for good (a refund the payment service refused, a day of retries run out)
leaves the order waiting for a person. Either the cause is fixed and the workflow runs what is
left again (`retry`), or a person did it outside the system (`by-hand`, saying what and where).
Either way the order then settles FAILED (or CANCELLED), and the Web UI's details and
`orders status` say who did what. docs/operating.md is the runbook.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cli import credentials, options
from cli.errors import ApiError, CliError
from cli.options import DEFAULT_API, ApiKey, ApiUrl
from cli.order.client import ApiClient
from cli.order.placing import Order

compensation_app = typer.Typer(
    help="Finish an order left COMPENSATION_FAILED: retry what is left, or record it by hand.",
    no_args_is_help=True,
)

OrderId = Annotated[str, typer.Argument(help="The order's id.")]


def _finish(api: str, api_key: str | None, order_id: str, action: str, note: str) -> Order:
    async def work() -> Order:
        async with ApiClient(
            api, transport=options.transport(), token=credentials.api_key(api_key)
        ) as client:
            try:
                return await client.finish(order_id, action, note)
            except ApiError as exc:
                raise (CliError(f"no order {order_id}") if exc.status == 404 else exc) from exc

    return options.run(work())


@compensation_app.command()
def retry(
    order_id: OrderId,
    note: Annotated[
        str, typer.Option(metavar="TEXT", help="Why it should work now; kept on the order.")
    ] = "",
    api: ApiUrl = DEFAULT_API,
    api_key: ApiKey = None,
) -> None:
    """Run the undos left again, once their cause is fixed; needs orders:operate.

    If they fail again the order is left to an operator again.

    Example:

      orders compensation retry A-1001 --note "payment's refunds work again"
    """
    accepted = _finish(api, api_key, order_id, "retry", note)
    typer.echo(
        f"retrying {', '.join(accepted['left_to_undo'])}; follow with `orders status {order_id}`"
    )


@compensation_app.command("by-hand")
def by_hand(
    order_id: OrderId,
    note: Annotated[
        str,
        typer.Option(
            metavar="TEXT", help="What was done, and where (required): kept on the order."
        ),
    ],
    api: ApiUrl = DEFAULT_API,
    api_key: ApiKey = None,
) -> None:
    """Record that a person did the undos left, outside the system; needs orders:operate.

    The order settles at once, naming you and your note.

    Example:

      orders compensation by-hand A-1001 --note "refunded in the PSP dashboard, ticket 4711"
    """
    accepted = _finish(api, api_key, order_id, "by_hand", note)
    typer.echo(
        f"recorded {', '.join(accepted['left_to_undo'])} as done by hand; "
        f"the order settles: `orders status {order_id}`"
    )
