"""How the commands show orders: the API's `OrderPublic` dicts, printed with rich.

Text from the API goes in through `Text`, never markup, so a `[` in a failure message stays a `[`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.columns import Columns
from rich.console import Console
from rich.table import Column, Table
from rich.text import Text

from cli.order.placing import Batch, Order
from orders.models import format_money

LISTED_IDS = 20
LABEL_WIDTH = len("left to undo")
STATUS_STYLES = {
    "COMPLETED": "green",
    "FAILED": "red",
    "COMPENSATION_FAILED": "bold red",
    "CANCELLED": "yellow",
}
OUTCOME_STYLES = {"succeeded": "green", "failed": "red", "running": "cyan"}


def money(total: int | None, currency: str | None) -> str:
    """Minor units as money: 7500 USD → "75.00 USD"; "-" until the order is priced."""
    if total is None or not currency:
        return "-"
    return format_money(total, currency)


def status_text(status: str) -> Text:
    return Text(status, style=STATUS_STYLES.get(status, "cyan"))


def _fields() -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True, min_width=LABEL_WIDTH)
    grid.add_column(overflow="fold")
    return grid


def _records(records: list[dict[str, Any]]) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 2), pad_edge=False)
    for _ in range(4):
        table.add_column(overflow="fold")
    for record in records:
        attempts = int(record.get("attempts") or 0)
        outcome = str(record.get("outcome", ""))
        table.add_row(
            Text(str(record.get("name", ""))),
            Text(outcome, style=OUTCOME_STYLES.get(outcome, "")),
            f"{attempts} attempt{'s' if attempts != 1 else ''}" if attempts else "",
            Text(str(record.get("detail") or ""), style="dim"),
        )
    return table


def show_order(console: Console, order: Order, *, steps: bool = False) -> None:
    """One order: status and total, what failed, what was undone, where to look in Temporal.

    `steps` adds every forward step, for `orders status`.
    """
    header = Text.assemble(
        (f"order {order['order_id']}", "bold"), "  ", status_text(str(order["status"]))
    )
    if order.get("total") is not None:
        header.append(f"  {money(order['total'], order.get('currency'))}")
    console.print(header)
    grid = _fields()
    if order.get("customer_id"):
        grid.add_row("customer", Text(str(order["customer_id"])))
    if steps and order.get("steps"):
        grid.add_row("steps", _records(order["steps"]))
    failure = order.get("failure")
    if failure:
        where = f" (at {failure['step']})" if failure.get("step") else ""
        grid.add_row("failure", Text(f"{failure['type']}: {failure['message']}{where}"))
    if order.get("cancel_reason"):
        grid.add_row("cancelled", Text(str(order["cancel_reason"])))
    if order.get("compensations"):
        grid.add_row("undone", _records(order["compensations"]))
    if order.get("left_to_undo"):
        left = ", ".join(order["left_to_undo"])
        grid.add_row(
            "left to undo",
            Text(f"{left}: an operator must finish these (`orders compensation`)", style="red"),
        )
    for resolution in order.get("resolutions") or []:
        grid.add_row("finished", Text(_resolution(resolution)))
    console.print(grid)
    ui = (order.get("links") or {}).get("temporal_ui")
    if ui:
        # Never wrapped or cut, however narrow the terminal: it is there to be copied whole.
        label = Text(f"{'temporal ui':<{LABEL_WIDTH}}  ", style="dim")
        console.print(label + Text(str(ui), style=f"link {ui}"), soft_wrap=True)


def _resolution(resolution: dict[str, Any]) -> str:
    what = ", ".join(resolution.get("undos") or [])
    did = f"retried {what}" if resolution.get("action") == "retry" else f"{what} by hand"
    note = f": {resolution['note']}" if resolution.get("note") else ""
    return f"{did}, by {resolution.get('operator')} at {resolution.get('at')}{note}"


def show_batch(console: Console, batch: Batch) -> None:
    """Many orders: how many ended in each status, and which orders they were."""
    counts = Counter(str(order["status"]) for order in batch.orders)
    table = Table("status", Column("orders", justify="right"), box=None, pad_edge=False)
    for status, count in counts.most_common():
        table.add_row(status_text(status), str(count))
    if batch.errors:
        table.add_row(Text("refused by the API", style="red"), str(len(batch.errors)))
    console.print(table)
    ids = [str(order["order_id"]) for order in batch.orders]
    if len(ids) > LISTED_IDS:
        console.print(f"\nthe first {LISTED_IDS} of {len(ids)} orders:")
    elif ids:
        console.print("\norders:")
    console.print(Columns([Text(order_id) for order_id in ids[:LISTED_IDS]], padding=(0, 2)))


def slow_hint(order: Order, latency_ms: int) -> str:
    order_id = order["order_id"]
    if order["status"] != "SCHEDULING_SHIPMENT":
        return f"order {order_id} was {order['status']} before it reached shipping: not slowed"
    return (
        f"order {order_id} is scheduling its shipment for ~{latency_ms / 1000:g}s: "
        f"cancel it with `orders cancel {order_id}`"
    )
