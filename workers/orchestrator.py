"""The orchestrator worker: `OrderWorkflow` and the participant activities on task queue `orders`.

Run it with `orders-worker`. It connects with Temporal's environment configuration
(`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, TLS, or a `temporal.toml` profile),
reaches the participants at `ORDERS_INVENTORY_URL`, `ORDERS_PAYMENT_URL`, `ORDERS_SHIPPING_URL`,
and publishes order events to NATS at `ORDERS_NATS_URL`.
SIGTERM or SIGINT stops polling and lets running activities finish before it exits.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from temporalio.client import Client
from temporalio.worker import Worker

from activities.events import EventActivities
from activities.inventory import InventoryActivities
from activities.payment import PaymentActivities
from activities.shipping import ShippingActivities
from orders.settings import Settings, get_settings
from orders.temporal import connect
from orders.tuning import worker_options
from workflows.order import OrderWorkflow

log = logging.getLogger("orders.worker")


@asynccontextmanager
async def running_worker(client: Client, settings: Settings) -> AsyncIterator[Worker]:
    """Build the worker with one pooled HTTP client per participant, run it, shut it down."""
    async with AsyncExitStack() as stack:

        async def http(base_url: str) -> httpx.AsyncClient:
            return await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=base_url,
                    timeout=settings.http_timeout_seconds,
                    limits=httpx.Limits(
                        max_connections=settings.http_max_connections,
                        max_keepalive_connections=settings.http_max_connections,
                    ),
                )
            )

        inventory = InventoryActivities(await http(settings.inventory_url))
        payment = PaymentActivities(await http(settings.payment_url))
        shipping = ShippingActivities(await http(settings.shipping_url))
        events = EventActivities(settings.nats_url, settings.nats_replicas)
        stack.push_async_callback(events.close)
        worker = Worker(
            client,
            task_queue=settings.task_queue,
            workflows=[OrderWorkflow],
            activities=[
                inventory.reserve,
                inventory.release,
                payment.charge,
                payment.refund,
                shipping.schedule,
                shipping.cancel,
                events.publish,
            ],
            **worker_options(settings),
        )
        async with worker:
            yield worker


async def serve(settings: Settings) -> None:
    client = await connect()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with running_worker(client, settings):
        log.info("worker polling task queue %r on %s", settings.task_queue, client.namespace)
        await stop.wait()
        log.info("shutting down: waiting for running activities")
    log.info("worker stopped")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(serve(get_settings()))


if __name__ == "__main__":
    main()
