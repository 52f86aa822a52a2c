"""An undo that fails for good: the order is left COMPENSATION_FAILED, the other undos still run,
`OrderFailed` names what is left to undo, and the order waits for an operator, who retries what
is left or records that a person did it by hand. Either way the order then settles, its fact
published once.

Stand-in activities, registered under the real names, play the participants and the bus.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from api.auth.keys import KeyFile
from orders.errors import ContractViolation, Undeliverable
from orders.events import OrderFailed
from orders.models import Finish, FinishRequest, OrderStatus, Outcome
from orders.temporal import ActivityName, workflow_id
from tests.integration.orders import OrderHandle, order_body, poll, state
from tests.integration.participants import new_order
from tests.stand_ins import StandIns
from tests.tokens import bearer, customer_key
from workflows.order import FINISH_REJECTED, OrderWorkflow

REFUND = ActivityName.REFUND_PAYMENT


def refusing_the_refund() -> StandIns:
    return StandIns(
        refusals={
            ActivityName.SCHEDULE_SHIPMENT: Undeliverable(
                "we do not ship there", {"country": "AQ"}
            ),
            REFUND: ContractViolation("refund window closed", {"status": 400}),
        }
    )


@asynccontextmanager
async def left_to_an_operator(client: Client, stand_ins: StandIns) -> AsyncIterator[OrderHandle]:
    """An order whose refund failed for good, waiting for an operator."""
    task_queue = f"stand-ins-{uuid.uuid4().hex[:8]}"
    order = new_order()
    async with Worker(
        client, task_queue=task_queue, workflows=[OrderWorkflow], activities=stand_ins.all()
    ):
        handle = await client.start_workflow(
            OrderWorkflow.run, order, id=workflow_id(order.order_id), task_queue=task_queue
        )
        await poll(lambda: _waits_for_an_operator(handle), what="left to an operator")
        yield handle


async def _waits_for_an_operator(handle: OrderHandle) -> bool:
    return (await state(handle)).status is OrderStatus.COMPENSATION_FAILED


async def finish(handle: OrderHandle, action: Finish, note: str = "") -> None:
    await handle.execute_update(
        OrderWorkflow.finish_compensation,
        FinishRequest(action=action, operator="key:ops-1", note=note),
    )


async def test_an_undo_that_fails_for_good_leaves_an_operator_a_list(client: Client) -> None:
    stand_ins = refusing_the_refund()
    async with left_to_an_operator(client, stand_ins) as handle:
        now = await state(handle)
        description = await handle.describe()

    assert now.status is OrderStatus.COMPENSATION_FAILED
    assert now.failure is not None and now.failure.type == "Undeliverable"
    assert [(c.name, c.outcome) for c in now.compensations] == [
        ("cancel_shipment", Outcome.SUCCEEDED),
        ("refund_payment", Outcome.FAILED),
        ("release_inventory", Outcome.SUCCEEDED),  # one failed undo does not stop the rest
    ]
    assert now.compensations[1].detail == "refund window closed"
    assert now.left_to_undo == ["refund_payment"]
    assert description.status is not None and description.status.name == "RUNNING"

    # The customer hears, and operators get a signal: what was undone and what is left.
    [event] = stand_ins.published
    assert isinstance(event, OrderFailed)
    assert event.data.failure_type == "Undeliverable"
    assert event.data.compensations == ["cancel_shipment", "release_inventory"]
    assert event.data.left_to_undo == ["refund_payment"]
    assert now.events == [event.id]


async def test_an_operator_retries_what_is_left_and_the_order_fails_cleanly(
    client: Client,
) -> None:
    stand_ins = refusing_the_refund()
    async with left_to_an_operator(client, stand_ins) as handle:
        del stand_ins.refusals[REFUND]  # the payment service's refund works again
        await finish(handle, Finish.RETRY, note="refund window reopened")
        result = await handle.result()

    assert result.status is OrderStatus.FAILED
    assert result.left_to_undo == []
    assert [(c.name, c.outcome) for c in result.compensations][-1] == (
        "refund_payment",
        Outcome.SUCCEEDED,
    )
    [resolution] = result.resolutions
    assert (resolution.action, resolution.operator, resolution.undos) == (
        Finish.RETRY,
        "key:ops-1",
        ["refund_payment"],
    )
    assert len(stand_ins.published) == 1  # the fact was stated once, when the undo failed


async def test_a_retry_that_fails_again_waits_again_then_is_finished_by_hand(
    client: Client,
) -> None:
    stand_ins = refusing_the_refund()
    async with left_to_an_operator(client, stand_ins) as handle:
        await finish(handle, Finish.RETRY)
        await poll(lambda: _refund_tried(handle, 2), what="the refund retried, and refused")
        await poll(lambda: _waits_for_an_operator(handle), what="left to an operator again")
        await handle.cancel()  # a Temporal cancel while it waits changes nothing
        await finish(handle, Finish.BY_HAND, note="refunded in the PSP dashboard, ticket 4711")
        result = await handle.result()

    assert result.status is OrderStatus.FAILED
    assert result.left_to_undo == [] and result.cancel_reason is None
    assert [r.action for r in result.resolutions] == [Finish.RETRY, Finish.BY_HAND]
    assert result.resolutions[1].note == "refunded in the PSP dashboard, ticket 4711"
    assert len(stand_ins.published) == 1


async def _refund_tried(handle: OrderHandle, times: int) -> bool:
    refunds = [c for c in (await state(handle)).compensations if c.name == "refund_payment"]
    return len(refunds) >= times and refunds[-1].outcome is Outcome.FAILED


async def test_an_order_shown_compensation_failed_takes_a_finish_while_it_still_publishes(
    client: Client,
) -> None:
    """What a client sees is what it may do: the status reads COMPENSATION_FAILED from the moment
    the undo fails for good, while the order still publishes its fact, and a finish sent then is
    taken (it was refused as "not waiting for an operator" until the publish returned)."""
    stand_ins = refusing_the_refund()
    release = stand_ins.hold(ActivityName.PUBLISH_EVENT)
    async with left_to_an_operator(client, stand_ins) as handle:
        await poll(lambda: ActivityName.PUBLISH_EVENT in stand_ins.held, what="publishing")
        await finish(handle, Finish.BY_HAND, note="refunded in the PSP dashboard")
        release.set()
        result = await handle.result()

    assert result.status is OrderStatus.FAILED
    assert [r.action for r in result.resolutions] == [Finish.BY_HAND]
    assert len(stand_ins.published) == 1


async def test_a_finish_is_refused_unless_an_order_waits_for_one(client: Client) -> None:
    stand_ins = refusing_the_refund()
    async with left_to_an_operator(client, stand_ins) as handle:
        with pytest.raises(WorkflowUpdateFailedError) as no_note:
            await finish(handle, Finish.BY_HAND, note="  ")
        del stand_ins.refusals[REFUND]
        stand_ins.unavailable.add(REFUND)  # the retried refund keeps trying: compensating
        await finish(handle, Finish.RETRY)
        with pytest.raises(WorkflowUpdateFailedError) as compensating:
            await finish(handle, Finish.BY_HAND, note="too soon")
        stand_ins.unavailable.discard(REFUND)
        assert (await handle.result()).status is OrderStatus.FAILED

    for refused in (no_note.value, compensating.value):
        assert isinstance(refused.cause, ApplicationError)
        assert refused.cause.type == FINISH_REJECTED


# --- through the API --------------------------------------------------------------------------


async def test_an_operator_finishes_an_order_by_hand_through_the_api(
    client: Client, api: httpx.AsyncClient, api_app: FastAPI, api_keys: KeyFile
) -> None:
    stand_ins = refusing_the_refund()
    async with left_to_an_operator(client, stand_ins) as handle:
        order_id = handle.id.removeprefix("order-")
        path = f"/orders/{order_id}/finish"
        customer = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=api_app),
            base_url="http://api",
            headers=bearer(customer_key(api_keys, "cust-42")),
        )
        async with customer:
            forbidden = await customer.post(path, json={"action": "retry"})
        no_note = await api.post(path, json={"action": "by_hand"})
        accepted = await api.post(
            path, json={"action": "by_hand", "note": "refunded in the PSP dashboard"}
        )
        result = await handle.result()
        again = await api.post(path, json={"action": "retry"})
        shown = await api.get(f"/orders/{order_id}")

    assert forbidden.status_code == 403
    assert no_note.status_code == 422 and no_note.json()["code"] == "validation_error"
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["left_to_undo"] == ["refund_payment"]
    assert result.status is OrderStatus.FAILED
    [resolution] = result.resolutions
    assert resolution.operator.startswith("key:") and resolution.action is Finish.BY_HAND
    assert again.status_code == 409 and again.json()["code"] == "cannot_finish"
    assert shown.json()["resolutions"][0]["note"] == "refunded in the PSP dashboard"


async def test_only_an_order_left_to_an_operator_can_be_finished(api: httpx.AsyncClient) -> None:
    body = order_body()
    assert (await api.post("/orders?wait=30", json=body)).json()["status"] == "COMPLETED"

    refused = await api.post(f"/orders/{body['order_id']}/finish", json={"action": "retry"})

    assert refused.status_code == 409
    assert refused.json()["code"] == "cannot_finish"
    assert "COMPLETED" in refused.json()["detail"]
