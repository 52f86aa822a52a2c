"""The no-op limit: a workflow of the order saga's shape whose activities do nothing.

Four activities in sequence, as a completed order runs them — reserve, charge, schedule, publish —
with the saga's timeouts, but no HTTP, no database and no bus. What it achieves on a Temporal
server, with the orchestrator's worker settings, is what Temporal allows that shape there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from orders.temporal import ActivityName
    from workflows.policies import PUBLISH_ATTEMPT_TIMEOUT, STEP_ATTEMPT_TIMEOUT, STEP_RETRY

NOOP_TASK_QUEUE = "orders-bench-noop"
STEPS = (
    ActivityName.RESERVE_INVENTORY,
    ActivityName.CHARGE_PAYMENT,
    ActivityName.SCHEDULE_SHIPMENT,
    ActivityName.PUBLISH_EVENT,
)


@dataclass
class NoopInput:
    order_id: str
    local_activities: bool = False


@workflow.defn(name="NoopOrderWorkflow")
class NoopOrderWorkflow:
    """Run the four no-op steps in order; return how many ran."""

    @workflow.run
    async def run(self, request: NoopInput) -> int:
        for step in STEPS:
            timeout = PUBLISH_ATTEMPT_TIMEOUT if step is ActivityName.PUBLISH_EVENT else None
            # As the saga: the participant calls may be local, the publish is always not.
            if request.local_activities and step is not ActivityName.PUBLISH_EVENT:
                await workflow.execute_local_activity(
                    step,
                    request.order_id,
                    start_to_close_timeout=timeout or STEP_ATTEMPT_TIMEOUT,
                    retry_policy=STEP_RETRY,
                )
            else:
                await workflow.execute_activity(
                    step,
                    request.order_id,
                    start_to_close_timeout=timeout or STEP_ATTEMPT_TIMEOUT,
                    retry_policy=STEP_RETRY,
                )
        return len(STEPS)


def _noop(name: str) -> Callable[[str], Awaitable[str]]:
    @activity.defn(name=name)
    async def step(order_id: str) -> str:
        return order_id

    return step


NOOP_ACTIVITIES = [_noop(step.value) for step in STEPS]
