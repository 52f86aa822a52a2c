"""Placing orders through the API: many at once with bounded concurrency, or slowed at shipping.

The slow demo holds the order at `SCHEDULING_SHIPMENT` long enough for a person to cancel it:
shipping is told to delay every call, the orders are placed without waiting, and once each is
scheduling its shipment the fault is cleared again. Clearing it does not speed up a call already
in flight, and clearing it in a `finally` means a failed run never leaves shipping slow.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cli.errors import ApiError, CliError, Unreachable
from cli.order.client import ApiClient, FaultsClient
from orders.models import OrderStatus

Order = dict[str, Any]

SETTLED = frozenset(status.value for status in OrderStatus if status.is_terminal)
SHIPPING = OrderStatus.SCHEDULING_SHIPMENT.value
POLL_INTERVAL_SECONDS = 0.2
IN_FLIGHT_GRACE_SECONDS = 0.5
"""The status turns SCHEDULING_SHIPMENT when the activity is scheduled; its HTTP call reaches
shipping a moment later, and must find the fault still on."""


def _nothing() -> None:
    pass


@dataclass
class Batch:
    """What a run placed, in the order it was asked for, and the orders the API refused."""

    orders: list[Order] = field(default_factory=list)
    errors: list[ApiError] = field(default_factory=list)


async def place_all(
    api: ApiClient,
    bodies: Sequence[dict[str, Any]],
    *,
    wait: float | None,
    concurrency: int,
    advance: Callable[[], None] = _nothing,
) -> Batch:
    """Place every body, `concurrency` at a time; `advance` is called as each one is answered.

    A refused order is kept in `errors` and the others go on; an API that stops answering
    stops the run with `Unreachable`.
    """
    semaphore = asyncio.Semaphore(concurrency)
    placed: list[Order | None] = [None] * len(bodies)
    batch = Batch()
    unreachable: list[Unreachable] = []

    async def place(index: int, body: dict[str, Any]) -> None:
        async with semaphore:
            if unreachable:
                return
            try:
                placed[index] = await api.place(body, wait=wait)
            except ApiError as exc:
                batch.errors.append(exc)
            except Unreachable as exc:
                unreachable.append(exc)
            finally:
                advance()

    await asyncio.gather(*(place(index, body) for index, body in enumerate(bodies)))
    if unreachable:
        raise unreachable[0]
    batch.orders = [order for order in placed if order is not None]
    return batch


async def place_slow(
    api: ApiClient,
    shipping: FaultsClient,
    bodies: Sequence[dict[str, Any]],
    *,
    latency_ms: int,
    concurrency: int,
    within: float,
    advance: Callable[[], None] = _nothing,
) -> Batch:
    """Place orders whose shipment call takes `latency_ms`; answer them as they stand once
    each is scheduling its shipment (or settled before it got there)."""
    await shipping.slow_down(latency_ms)
    try:
        batch = await place_all(api, bodies, wait=None, concurrency=concurrency, advance=advance)
        reached = await asyncio.gather(
            *(until_shipping(api, order, within=within) for order in batch.orders)
        )
        batch.orders = list(reached)
        if any(order["status"] == SHIPPING for order in batch.orders):
            await asyncio.sleep(IN_FLIGHT_GRACE_SECONDS)
    finally:
        await shipping.clear()
    return batch


async def until_shipping(api: ApiClient, order: Order, *, within: float) -> Order:
    """Poll the order until it is scheduling its shipment or has settled."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while order["status"] != SHIPPING and order["status"] not in SETTLED:
        if loop.time() >= deadline:
            raise CliError(
                f"order {order['order_id']} is still {order['status']} after {within:g}s: "
                f"see why with `orders status {order['order_id']}`, or give it a longer --wait"
            )
        await asyncio.sleep(POLL_INTERVAL_SECONDS)
        order = await api.get(order["order_id"])
    return order
