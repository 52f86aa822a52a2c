"""Temporal names and the one client factory.

Workflow ids are `order-<order_id>` and are the idempotency key of a submitted order. Activity
names live here so that the workflow can call activities without importing their code.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.converter import DataConverter
from temporalio.envconfig import ClientConfig

from orders.encryption import data_converter

TASK_QUEUE = "orders"
DEFAULT_ADDRESS = "localhost:7233"

ORDER_STATUS = SearchAttributeKey.for_keyword("OrderStatus")
CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")
ORDER_TOTAL = SearchAttributeKey.for_float("OrderTotal")

SEARCH_ATTRIBUTES: dict[str, str] = {
    ORDER_STATUS.name: "Keyword",
    CUSTOMER_ID.name: "Keyword",
    ORDER_TOTAL.name: "Double",
}
"""Custom search attributes and their types, as `temporal` registers them."""


class ActivityName(StrEnum):
    RESERVE_INVENTORY = "reserve_inventory"
    RELEASE_INVENTORY = "release_inventory"
    CHARGE_PAYMENT = "charge_payment"
    REFUND_PAYMENT = "refund_payment"
    SCHEDULE_SHIPMENT = "schedule_shipment"
    CANCEL_SHIPMENT = "cancel_shipment"
    PUBLISH_EVENT = "publish_event"


def workflow_id(order_id: str) -> str:
    return f"order-{order_id}"


async def connect(*, converter: DataConverter | None = None, **overrides: Any) -> Client:
    """Connect with Temporal's environment configuration and the project's data converter.

    The converter encrypts payloads with the keys of `orders.encryption` (from the
    environment unless `converter` is given) and raises `EncryptionNotConfigured` without
    them. `overrides` (for example `target_host` in tests, or a `runtime` exporting metrics) win
    over the environment. The tracing interceptor carries the caller's trace into the workflow
    and its activities; workers built on this client use it too (a no-op while tracing is off).
    """
    config: dict[str, Any] = dict(ClientConfig.load_client_connect_config())
    config.setdefault("target_host", DEFAULT_ADDRESS)
    config.update(overrides)
    config["interceptors"] = [TracingInterceptor(), *config.get("interceptors", ())]
    return await Client.connect(**config, data_converter=converter or data_converter())


async def workflow_pollers(client: Client, task_queue: str = TASK_QUEUE) -> list[str]:
    """The identities (`<pid>@<host>` by default) of the workers polling `task_queue`."""
    response = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return [poller.identity for poller in response.pollers]


async def has_workflow_pollers(client: Client, task_queue: str = TASK_QUEUE) -> bool:
    """True when at least one worker polls `task_queue` for workflow tasks."""
    return len(await workflow_pollers(client, task_queue)) > 0
