"""The saga's shipping step alone, with a deadline short enough for a test.

The order workflow gives a step `STEP_DEADLINE` (minutes); this workflow runs `schedule_shipment`
with the saga's retry policy and attempt timeout but a deadline the test chooses, and returns the
`Failure` an order would record once the step runs out of time (`workflows.failures.failure_of`),
or None when the shipment is scheduled.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from orders.models import Failure, ScheduleShipmentInput, Shipment, Step
    from orders.temporal import ActivityName
    from workflows.failures import failure_of
    from workflows.policies import STEP_ATTEMPT_TIMEOUT, STEP_RETRY


class ShipmentStepInput(BaseModel):
    shipment: ScheduleShipmentInput
    deadline_seconds: float


@workflow.defn
class ShipmentStep:
    @workflow.run
    async def run(self, request: ShipmentStepInput) -> Failure | None:
        try:
            await workflow.execute_activity(
                ActivityName.SCHEDULE_SHIPMENT,
                request.shipment,
                result_type=Shipment,
                schedule_to_close_timeout=timedelta(seconds=request.deadline_seconds),
                start_to_close_timeout=STEP_ATTEMPT_TIMEOUT,
                retry_policy=STEP_RETRY,
            )
        except ActivityError as err:
            return failure_of(err, Step.SCHEDULE_SHIPMENT)
        return None
