"""Start orders on the real server and watch them, polling for conditions (never sleeping)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

from temporalio.client import Client, WorkflowHandle

from orders.models import OrderInput, OrderState
from orders.temporal import TASK_QUEUE, workflow_id
from workflows.order import OrderWorkflow

OrderHandle = WorkflowHandle[OrderWorkflow, OrderState]


def order_body(**changes: Any) -> dict[str, Any]:
    """A `POST /orders` body that completes (seeded SKUs, a good card), with `changes`."""
    body: dict[str, Any] = {
        "order_id": f"api-{uuid.uuid4().hex[:12]}",
        "customer_id": "cust-api",
        "currency": "USD",
        "items": [{"sku": "WIDGET-1", "quantity": 2}, {"sku": "GADGET-2", "quantity": 1}],
        "payment_token": "tok_visa",
        "shipping_address": {
            "name": "Ada Lovelace",
            "line1": "12 St James's Square",
            "city": "London",
            "postal_code": "SW1Y 4JH",
            "country": "GB",
        },
    }
    body.update(changes)
    return body


async def start(client: Client, order: OrderInput) -> OrderHandle:
    return await client.start_workflow(
        OrderWorkflow.run, order, id=workflow_id(order.order_id), task_queue=TASK_QUEUE
    )


async def run(client: Client, order: OrderInput) -> OrderState:
    return await (await start(client, order)).result()


async def poll(condition: Callable[[], object], *, what: str, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {within}s: {what}")


async def state(handle: OrderHandle) -> OrderState:
    return await handle.query(OrderWorkflow.status)


async def pending_attempt(handle: OrderHandle, activity: str) -> int:
    """The attempt number of `activity` if it is pending (running or backing off), else 0."""
    description = await handle.describe()
    for pending in description.raw_description.pending_activities:
        if pending.activity_type.name == activity:
            return int(pending.attempt)
    return 0
