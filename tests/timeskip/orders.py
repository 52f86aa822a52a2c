"""Running one order on the time-skipping server with stand-in activities, and reading its clock."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

from temporalio.common import RetryPolicy
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from orders.models import OrderInput
from orders.temporal import workflow_id
from tests.integration.orders import OrderHandle
from tests.stand_ins import StandIns
from workflows.order import OrderWorkflow


@contextlib.asynccontextmanager
async def running(
    env: WorkflowEnvironment, stand_ins: StandIns, order: OrderInput
) -> AsyncIterator[OrderHandle]:
    """Start `order` on a worker of `stand_ins`; on the way out, end whatever is left running."""
    task_queue = f"timeskip-{uuid.uuid4().hex[:8]}"
    async with Worker(
        env.client, task_queue=task_queue, workflows=[OrderWorkflow], activities=stand_ins.all()
    ):
        handle = await env.client.start_workflow(
            OrderWorkflow.run, order, id=workflow_id(order.order_id), task_queue=task_queue
        )
        try:
            yield handle
        finally:
            with contextlib.suppress(RPCError):  # already closed: nothing to end
                await handle.terminate("the test is over")


def cap(policy: RetryPolicy) -> timedelta:
    """The longest a policy waits between two attempts."""
    assert policy.maximum_interval is not None, "every policy of the saga caps its backoff"
    return policy.maximum_interval


def backoff(policy: RetryPolicy, retries: int) -> list[float]:
    """The seconds a policy waits before each of the first `retries` retries."""
    first, longest = seconds(policy.initial_interval), seconds(cap(policy))
    return [min(first * policy.backoff_coefficient**n, longest) for n in range(retries)]


def seconds(delta: timedelta) -> float:
    return delta.total_seconds()
