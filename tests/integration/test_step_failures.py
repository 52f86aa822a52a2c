"""What the server keeps of a step that fails at the HTTP client: the real reason, not the limit.

Temporal keeps a retrying activity's last failure only up to a size limit (4 KiB by default, see
`orders.failure_converter`); over it, the pending activity and, once the step's deadline passes,
the order show "Failure exceeds size limit." instead. These tests run the real shipping activity
against the real participant, held so that its answer never comes, through the project's
encrypting data converter, on the real dev server.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import httpx
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from activities.shipping import ShippingActivities
from orders.models import ScheduleShipmentInput
from tests.integration.orders import poll
from tests.integration.participants import Participants, new_order
from tests.integration.shipment_step import ShipmentStep, ShipmentStepInput
from tests.tokens import SERVICE_HEADERS
from workflows.failures import STEP_TIMED_OUT

READ_TIMEOUT_SECONDS = 0.5
STEP = "schedule_shipment"


async def _first_attempt_times_out(request: httpx.Request) -> None:
    # The first attempt meets a ReadTimeout, and the server keeps it as the step's last failure.
    # The later ones wait on the participant's hold without a timeout, so a step's deadline
    # passes while an attempt is in flight: the server closes the step with what it kept.
    if activity.info().attempt > 1:
        request.extensions["timeout"] = httpx.Timeout(None).as_dict()


@asynccontextmanager
async def shipment_worker(client: Client, participants: Participants) -> AsyncIterator[str]:
    """The real shipping activity and `ShipmentStep` on a task queue of their own."""
    queue = f"shipment-step-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(
        base_url=participants.urls["shipping"],
        timeout=READ_TIMEOUT_SECONDS,
        headers=SERVICE_HEADERS,
        event_hooks={"request": [_first_attempt_times_out]},
    ) as http:
        worker = Worker(
            client,
            task_queue=queue,
            workflows=[ShipmentStep],
            activities=[ShippingActivities(http).schedule],
        )
        async with worker:
            yield queue


def shipment() -> ScheduleShipmentInput:
    order = new_order()
    return ScheduleShipmentInput(
        order_id=order.order_id, address=order.shipping_address, items=order.items
    )


async def _last_failure(client: Client, workflow_id: str) -> BaseException | None:
    """The step's last failure as the server keeps it, once it has failed once, decoded."""
    description = await client.get_workflow_handle(workflow_id).describe()
    for pending in description.raw_description.pending_activities:
        if pending.activity_type.name == STEP and pending.HasField("last_failure"):
            return await client.data_converter.decode_failure(pending.last_failure)
    return None


async def _failed_once(client: Client, workflow_id: str) -> bool:
    return await _last_failure(client, workflow_id) is not None


def assert_names_the_read_timeout(error: BaseException | None) -> None:
    assert isinstance(error, ApplicationError), f"the server kept {error!r}"
    assert error.type == "ParticipantUnavailable"
    assert "shipping" in error.message and "POST /shipments" in error.message, error.message
    assert "ReadTimeout" in error.message, error.message


async def test_a_retrying_step_keeps_the_read_timeout_as_its_last_failure(
    client: Client, participants: Participants
) -> None:
    await participants.hold("shipping")
    async with shipment_worker(client, participants) as queue:
        handle = await client.start_workflow(
            ShipmentStep.run,
            ShipmentStepInput(shipment=shipment(), deadline_seconds=120),
            id=f"shipment-step-{uuid.uuid4().hex[:12]}",
            task_queue=queue,
        )
        await poll(partial(_failed_once, client, handle.id), what=f"{STEP} failed once")
        kept = await _last_failure(client, handle.id)
        await handle.terminate("the test has seen what it needs")

    assert_names_the_read_timeout(kept)


async def test_a_step_out_of_time_fails_with_the_read_timeout_it_met(
    client: Client, participants: Participants
) -> None:
    await participants.hold("shipping")
    async with shipment_worker(client, participants) as queue:
        handle = await client.start_workflow(
            ShipmentStep.run,
            ShipmentStepInput(shipment=shipment(), deadline_seconds=6),
            id=f"shipment-step-{uuid.uuid4().hex[:12]}",
            task_queue=queue,
        )
        # The deadline passes during the second attempt, held without a timeout, so the step is
        # closed by the server with the first attempt's failure as the last error.
        await poll(partial(_failed_once, client, handle.id), what=f"{STEP} failed once", within=6)
        failure = await handle.result()

    assert failure is not None
    assert (failure.type, failure.step) == (STEP_TIMED_OUT, STEP)
    assert "shipping unreachable on POST /shipments: ReadTimeout" in failure.message, failure
    assert "exceeds size limit" not in failure.message
