"""The load driver: N orders at a fixed concurrency (closed loop) or a fixed arrival rate (open).

The same driver runs the application (POST /orders through the CLI's API client), the no-op
limit and the saga with free participants (each a bare `client.start_workflow`), so all are
measured the same way: the wall-clock moment the request was sent, how long the start took to
answer, and when the client saw the workflow close (its result long-poll returning). Exact close
times come later, from the histories.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from temporalio.client import Client, WorkflowFailureError

from api.schemas import OrderCreate
from api.submission import start_options
from cli.errors import CliError
from cli.order.client import ApiClient
from orders.settings import Settings
from orders.temporal import workflow_id
from tools.bench.noop_workflow import NOOP_TASK_QUEUE, NoopInput, NoopOrderWorkflow
from tools.bench.saga import SAGA_TASK_QUEUE
from workflows.order import OrderWorkflow

BENCH_CUSTOMER = "cust-bench"
SKUS = ("WIDGET-1", "GADGET-2", "GIZMO-3")
"""One unit of one of these per order: the seed catalog holds 1000 of each."""


@dataclass
class Sample:
    """One order (or no-op workflow) as the driver saw it."""

    index: int
    workflow_id: str
    sent_at: datetime
    """Wall clock when the start request was sent: comparable with the server's timestamps."""
    start_seconds: float
    """The start request's round trip: POST /orders → 202, or `start_workflow` → handle."""
    seen_closed_at: datetime | None = None
    status: str = "UNKNOWN"
    error: str | None = None


Start = Callable[[int], Awaitable[Sample]]
"""Start the `index`-th workflow, answering its sample; then `finish` waits for it to close."""


def order_body(index: int) -> dict[str, Any]:
    return {
        "customer_id": BENCH_CUSTOMER,
        "currency": "USD",
        "items": [{"sku": SKUS[index % len(SKUS)], "quantity": 1}],
        "payment_token": "tok_visa",
        "shipping_address": {
            "name": "Grace Hopper",
            "line1": "1 Navy Way",
            "city": "Arlington",
            "postal_code": "22202",
            "country": "US",
        },
    }


def via_api(api: ApiClient, run_id: str) -> Start:
    async def start(index: int) -> Sample:
        body = {**order_body(index), "order_id": f"bench-{run_id}-{index}"}
        sent_at, began = datetime.now(UTC), time.perf_counter()
        order = await api.place(body)
        return Sample(index, workflow_id(order["order_id"]), sent_at, time.perf_counter() - began)

    return start


def bare_noop(client: Client, run_id: str, *, local_activities: bool) -> Start:
    async def start(index: int) -> Sample:
        order_id = f"noop-{run_id}-{index}"
        sent_at, began = datetime.now(UTC), time.perf_counter()
        handle = await client.start_workflow(
            NoopOrderWorkflow.run,
            NoopInput(order_id=order_id, local_activities=local_activities),
            id=workflow_id(order_id),
            task_queue=NOOP_TASK_QUEUE,
        )
        return Sample(index, handle.id, sent_at, time.perf_counter() - began)

    return start


def bare_saga(client: Client, run_id: str, settings: Settings) -> Start:
    """The order saga itself, started as the API starts it, on the saga phase's task queue."""
    on_saga_queue = settings.model_copy(update={"task_queue": SAGA_TASK_QUEUE})

    async def start(index: int) -> Sample:
        order_id = f"saga-{run_id}-{index}"
        body = OrderCreate.model_validate({**order_body(index), "order_id": order_id})
        order = body.to_input(order_id, local_activities=settings.local_activities)
        sent_at, began = datetime.now(UTC), time.perf_counter()
        handle = await client.start_workflow(
            OrderWorkflow.run, order, **start_options(order, on_saga_queue)
        )
        return Sample(index, handle.id, sent_at, time.perf_counter() - began)

    return start


async def finish(client: Client, sample: Sample) -> None:
    """Wait for the workflow to close; note when, and the order's status if it is an order."""
    try:
        result = await client.get_workflow_handle(sample.workflow_id).result()
    except WorkflowFailureError as exc:
        sample.status, sample.error = "WORKFLOW_FAILED", str(exc.cause or exc)
    else:
        status = result.get("status") if isinstance(result, dict) else None
        sample.status = str(status or "COMPLETED")
    sample.seen_closed_at = datetime.now(UTC)


async def drive(
    client: Client,
    start: Start,
    *,
    count: int,
    concurrency: int | None,
    rate: float | None,
    advance: Callable[[], None],
) -> list[Sample]:
    """Run `count` workflows: `concurrency` in flight at all times, or `rate` started per second.

    A start the server refuses is recorded as a failed sample and the run goes on.
    """
    samples: list[Sample] = []

    async def one(index: int) -> None:
        try:
            sample = await start(index)
        except CliError as exc:
            samples.append(
                Sample(index, "", datetime.now(UTC), 0.0, status="REFUSED", error=str(exc))
            )
        else:
            samples.append(sample)
            await finish(client, sample)
        advance()

    if rate is not None:
        # Open loop: arrivals on a fixed schedule whatever the latency, as real customers arrive.
        loop = asyncio.get_running_loop()
        began = loop.time()
        tasks = []
        for index in range(count):
            delay = began + index / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(index)))
        await asyncio.gather(*tasks)
    else:
        next_index = iter(range(count))

        async def lane() -> None:
            for index in next_index:
                await one(index)

        await asyncio.gather(*(lane() for _ in range(concurrency or 1)))
    return sorted(samples, key=lambda s: s.index)
