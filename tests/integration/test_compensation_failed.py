"""An undo that fails for good: the order ends COMPENSATION_FAILED, the other undos still run, and
`OrderFailed` names what is left to undo.

Stand-in activities, registered under the real names, play the participants and the bus.
"""

from __future__ import annotations

import uuid

from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

from orders.errors import ContractViolation, Undeliverable
from orders.events import OrderEvent, OrderFailed
from orders.models import (
    Charge,
    ChargePaymentInput,
    OrderStatus,
    Outcome,
    PublishEventInput,
    PublishResult,
    Reservation,
    ReservationLine,
    ReserveInventoryInput,
    ScheduleShipmentInput,
    Shipment,
    UndoInput,
    UndoResult,
)
from orders.temporal import ActivityName, workflow_id
from tests.integration.participants import new_order
from workflows.order import OrderWorkflow


@activity.defn(name=ActivityName.RESERVE_INVENTORY)
async def reserve(request: ReserveInventoryInput) -> Reservation:
    line = ReservationLine(sku="WIDGET-1", quantity=1, unit_price=1500, line_total=1500)
    return Reservation(
        id="res_1", order_id=request.order_id, lines=[line], total=1500, currency="USD"
    )


@activity.defn(name=ActivityName.CHARGE_PAYMENT)
async def charge(request: ChargePaymentInput) -> Charge:
    return Charge(id="ch_1", order_id=request.order_id, amount=request.amount, currency="USD")


@activity.defn(name=ActivityName.SCHEDULE_SHIPMENT)
async def schedule(request: ScheduleShipmentInput) -> Shipment:
    raise Undeliverable("we do not ship there", {"country": "AQ"})


@activity.defn(name=ActivityName.CANCEL_SHIPMENT)
async def cancel_shipment(request: UndoInput) -> UndoResult:
    return UndoResult()


@activity.defn(name=ActivityName.REFUND_PAYMENT)
async def refund(request: UndoInput) -> UndoResult:
    raise ContractViolation("refund window closed", {"status": 400})


@activity.defn(name=ActivityName.RELEASE_INVENTORY)
async def release(request: UndoInput) -> UndoResult:
    return UndoResult(undone=["res_1"])


published: list[OrderEvent] = []


@activity.defn(name=ActivityName.PUBLISH_EVENT)
async def publish(request: PublishEventInput) -> PublishResult:
    published.append(request.event)
    return PublishResult(event_id=request.event.id, stream_seq=len(published), duplicate=False)


async def test_an_undo_that_fails_for_good_leaves_an_operator_a_list(client: Client) -> None:
    task_queue = f"stand-ins-{uuid.uuid4().hex[:8]}"
    order = new_order()
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[OrderWorkflow],
        activities=[reserve, charge, schedule, cancel_shipment, refund, release, publish],
    ):
        result = await client.execute_workflow(
            OrderWorkflow.run, order, id=workflow_id(order.order_id), task_queue=task_queue
        )

    assert result.status is OrderStatus.COMPENSATION_FAILED
    assert result.failure is not None and result.failure.type == "Undeliverable"
    assert [(c.name, c.outcome) for c in result.compensations] == [
        ("cancel_shipment", Outcome.SUCCEEDED),
        ("refund_payment", Outcome.FAILED),
        ("release_inventory", Outcome.SUCCEEDED),  # one failed undo does not stop the rest
    ]
    assert result.compensations[1].detail == "refund window closed"
    assert result.left_to_undo == ["refund_payment"]

    # The customer hears, and operators get a signal: what was undone and what is left.
    [event] = [event for event in published if event.subject == order.order_id]
    assert isinstance(event, OrderFailed)
    assert event.data.failure_type == "Undeliverable"
    assert event.data.compensations == ["cancel_shipment", "release_inventory"]
    assert event.data.left_to_undo == ["refund_payment"]
    assert result.events == [event.id]
