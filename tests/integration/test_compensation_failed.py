"""An undo that fails for good: the order ends COMPENSATION_FAILED, the other undos still run, and
`OrderFailed` names what is left to undo.

Stand-in activities, registered under the real names, play the participants and the bus.
"""

from __future__ import annotations

import uuid

from temporalio.client import Client
from temporalio.worker import Worker

from orders.errors import ContractViolation, Undeliverable
from orders.events import OrderFailed
from orders.models import OrderStatus, Outcome
from orders.temporal import ActivityName, workflow_id
from tests.integration.participants import new_order
from tests.stand_ins import StandIns
from workflows.order import OrderWorkflow


async def test_an_undo_that_fails_for_good_leaves_an_operator_a_list(client: Client) -> None:
    task_queue = f"stand-ins-{uuid.uuid4().hex[:8]}"
    order = new_order()
    stand_ins = StandIns(
        refusals={
            ActivityName.SCHEDULE_SHIPMENT: Undeliverable(
                "we do not ship there", {"country": "AQ"}
            ),
            ActivityName.REFUND_PAYMENT: ContractViolation("refund window closed", {"status": 400}),
        }
    )
    async with Worker(
        client, task_queue=task_queue, workflows=[OrderWorkflow], activities=stand_ins.all()
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
    [event] = stand_ins.published
    assert isinstance(event, OrderFailed)
    assert event.data.failure_type == "Undeliverable"
    assert event.data.compensations == ["cancel_shipment", "release_inventory"]
    assert event.data.left_to_undo == ["refund_payment"]
    assert result.events == [event.id]
