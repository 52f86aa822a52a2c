"""The orchestrator worker: `OrderWorkflow` and the participant activities on task queue `orders`.

Run it with `orders-worker`. It connects with Temporal's environment configuration
(`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, TLS, or a `temporal.toml` profile),
reaches the participants at `ORDERS_INVENTORY_URL`, `ORDERS_PAYMENT_URL`, `ORDERS_SHIPPING_URL`,
and publishes order events to NATS at `ORDERS_NATS_URL`. It refuses to start without payload keys
(`ORDERS_CODEC_KEYS`, see docs/encryption.md). With `ORDERS_WORKER_METRICS_ADDRESS`
(`host:port`) it serves the Temporal SDK's Prometheus metrics there; tracing follows the `OTEL_`
variables (see `orders.telemetry`).
SIGTERM or SIGINT stops polling and lets running activities finish before it exits.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker

from activities.events import EventActivities
from activities.inventory import InventoryActivities
from activities.payment import PaymentActivities
from activities.shipping import ShippingActivities
from orders.codec import CodecError
from orders.encryption import data_converter
from orders.logs import configure_logging
from orders.settings import Settings, get_settings
from orders.telemetry import configure_telemetry
from orders.temporal import connect
from workers.tuning import worker_options, write_workflow_bytecode
from workflows.order import OrderWorkflow

log = logging.getLogger("orders.worker")


@asynccontextmanager
async def running_worker(client: Client, settings: Settings) -> AsyncIterator[Worker]:
    """Build the worker with one pooled HTTP client per participant, run it, shut it down."""
    async with AsyncExitStack() as stack:
        token = settings.service_token
        headers = {"Authorization": f"Bearer {token.get_secret_value()}"} if token else {}

        async def http(base_url: str) -> httpx.AsyncClient:
            client = await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=base_url,
                    timeout=settings.http_timeout_seconds,
                    headers=headers,
                    limits=httpx.Limits(
                        max_connections=settings.http_max_connections,
                        max_keepalive_connections=settings.http_max_connections,
                    ),
                )
            )
            # Each call is a client span under its activity's span, and carries `traceparent`.
            HTTPXClientInstrumentor.instrument_client(client)
            return client

        inventory = InventoryActivities(await http(settings.inventory_url))
        payment = PaymentActivities(await http(settings.payment_url))
        shipping = ShippingActivities(await http(settings.shipping_url))
        events = EventActivities(settings.nats_url)
        stack.push_async_callback(events.close)
        write_workflow_bytecode([OrderWorkflow])
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


def metrics_runtime(address: str) -> Runtime:
    """A Temporal runtime serving the SDK's metrics (task latencies, slots, polls) at `address`."""
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=address)))


async def serve(settings: Settings) -> None:
    address = settings.worker_metrics_address
    overrides: dict[str, Any] = {"runtime": metrics_runtime(address)} if address else {}
    client = await connect(**overrides)
    if address:
        log.info("worker metrics on http://%s/metrics", address)
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
    configure_logging()
    configure_telemetry("orders-worker")
    # Refuse before connecting, in one line rather than a traceback: without payload keys the
    # worker would store plaintext, and without the service token every participant refuses it.
    try:
        data_converter()
    except CodecError as exc:
        sys.exit(f"orders-worker: {exc}")
    settings = get_settings()
    if settings.service_token is None:
        sys.exit("orders-worker: set ORDERS_SERVICE_TOKEN, the participants' bearer token")
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
