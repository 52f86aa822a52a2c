"""The order saga end to end: real Temporal dev server, real participant services over HTTP."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from orders.events import EventType, event_id
from orders.models import CancelRequest, LineItem, OrderStatus, Outcome, StepRecord
from orders.temporal import CUSTOMER_ID, ORDER_STATUS, ORDER_TOTAL
from tests.integration.orders import pending_attempt, poll, run, start, state
from tests.integration.participants import HAPPY_TOTAL, Participants, new_order
from workflows.order import OrderWorkflow

pytestmark = pytest.mark.usefixtures("worker")

FORWARD = ["reserve_inventory", "charge_payment", "schedule_shipment"]


def names(records: list[StepRecord]) -> list[str]:
    return [record.name for record in records]


def statuses(records: list[dict[str, Any]]) -> list[str]:
    return [record["status"] for record in records]


async def test_happy_path_completes_with_one_of_each_record(
    client: Client, participants: Participants
) -> None:
    order = new_order()
    result = await run(client, order)

    assert result.status is OrderStatus.COMPLETED
    assert names(result.steps) == FORWARD
    assert all(step.outcome is Outcome.SUCCEEDED for step in result.steps)
    assert result.compensations == []
    assert result.failure is None
    assert result.total == HAPPY_TOTAL  # priced by the catalog, not by the client

    reservations = await participants.records("inventory", order.order_id)
    charges = await participants.records("payment", order.order_id)
    shipments = await participants.records("shipping", order.order_id)
    assert statuses(reservations) == ["reserved"]
    assert [(c["status"], c["amount"]) for c in charges] == [("captured", HAPPY_TOTAL)]
    assert statuses(shipments) == ["scheduled"]
    assert result.charge_id == charges[0]["id"]

    attributes = await client.get_workflow_handle(f"order-{order.order_id}").describe()
    search = attributes.typed_search_attributes
    assert search.get(ORDER_STATUS) == "COMPLETED"
    assert search.get(CUSTOMER_ID) == order.customer_id
    assert search.get(ORDER_TOTAL) == HAPPY_TOTAL / 100


async def test_out_of_stock_fails_and_charges_nothing(
    client: Client, participants: Participants
) -> None:
    order = new_order(
        items=[LineItem(sku="WIDGET-1", quantity=1), LineItem(sku="RARE-9", quantity=1)]
    )
    result = await run(client, order)

    assert result.status is OrderStatus.FAILED
    assert result.failure is not None
    assert result.failure.type == "OutOfStock"
    assert result.failure.details["skus"] == ["RARE-9"]
    assert [(s.name, s.outcome) for s in result.steps] == [("reserve_inventory", Outcome.FAILED)]
    assert names(result.compensations) == ["release_inventory"]
    assert result.compensations[0].detail == "nothing to undo"
    assert await participants.records("inventory", order.order_id) == []
    assert await participants.records("payment", order.order_id) == []


async def test_declined_payment_releases_the_reservation(
    client: Client, participants: Participants
) -> None:
    order = new_order(payment_token="tok_chargeDeclined")
    result = await run(client, order)

    assert result.status is OrderStatus.FAILED
    assert result.failure is not None
    assert (result.failure.type, result.failure.step) == ("PaymentDeclined", "charge_payment")
    assert result.failure.details["decline_code"] == "card_declined"
    assert names(result.compensations) == ["refund_payment", "release_inventory"]
    assert all(c.outcome is Outcome.SUCCEEDED for c in result.compensations)
    assert statuses(await participants.records("inventory", order.order_id)) == ["released"]
    assert await participants.records("payment", order.order_id) == []
    assert await participants.records("shipping", order.order_id) == []


async def test_undeliverable_refunds_then_releases(
    client: Client, participants: Participants
) -> None:
    order = new_order(
        shipping_address=new_order().shipping_address.model_copy(update={"country": "AQ"})
    )
    result = await run(client, order)

    assert result.status is OrderStatus.FAILED
    assert result.failure is not None and result.failure.type == "Undeliverable"
    assert names(result.compensations) == ["cancel_shipment", "refund_payment", "release_inventory"]
    refund, release = result.compensations[1], result.compensations[2]
    assert refund.finished_at is not None and refund.finished_at <= release.started_at

    [charge] = await participants.records("payment", order.order_id)
    [reservation] = await participants.records("inventory", order.order_id)
    assert charge["status"] == "refunded" and reservation["status"] == "released"
    assert charge["refunded_at"] <= reservation["released_at"]  # the participants agree on order
    assert await participants.records("shipping", order.order_id) == []


async def test_transient_faults_on_every_service_are_retried(
    client: Client, participants: Participants
) -> None:
    for service in ("inventory", "payment", "shipping"):
        await participants.set_faults(service, error_rate=1.0)
    order = new_order()
    handle = await start(client, order)

    # Heal one participant at a time, each once its step has been seen failing and retrying.
    for service, activity in zip(("inventory", "payment", "shipping"), FORWARD, strict=True):
        await poll(partial(_attempted_twice, handle, activity), what=f"{activity} retried")
        await participants.set_faults(service, error_rate=0.0)
    result = await handle.result()

    assert result.status is OrderStatus.COMPLETED
    assert all(step.attempts >= 2 for step in result.steps), result.steps
    assert len(await participants.records("inventory", order.order_id)) == 1
    assert len(await participants.records("payment", order.order_id)) == 1
    assert len(await participants.records("shipping", order.order_id)) == 1


async def _attempted_twice(handle, activity: str) -> bool:
    return await pending_attempt(handle, activity) >= 2


async def test_charge_committed_but_answered_503_is_charged_once(
    client: Client, participants: Participants
) -> None:
    await participants.set_faults("payment", fail_after_commit=True)
    order = new_order()
    result = await run(client, order)

    assert result.status is OrderStatus.COMPLETED
    charge_step = result.steps[1]
    assert charge_step.name == "charge_payment" and charge_step.attempts >= 2
    charges = await participants.records("payment", order.order_id)
    assert [(c["status"], c["amount"]) for c in charges] == [("captured", HAPPY_TOTAL)]


async def test_cancel_while_shipping_is_in_flight_undoes_everything(
    client: Client, participants: Participants
) -> None:
    await participants.hold("shipping")
    order = new_order()
    handle = await start(client, order)
    await participants.until_held("shipping")

    accepted = await handle.execute_update(
        OrderWorkflow.cancel, CancelRequest(reason="changed mind")
    )
    assert accepted.status is OrderStatus.SCHEDULING_SHIPMENT
    await participants.release("shipping")
    result = await handle.result()

    assert result.status is OrderStatus.CANCELLED
    assert result.cancel_reason == "changed mind"
    assert names(result.compensations) == ["cancel_shipment", "refund_payment", "release_inventory"]
    assert statuses(await participants.records("inventory", order.order_id)) == ["released"]
    assert statuses(await participants.records("payment", order.order_id)) == ["refunded"]
    # The shipment landed while the cancel waited for it, and was then cancelled, not orphaned.
    assert statuses(await participants.records("shipping", order.order_id)) == ["cancelled"]


async def _cancel_requested(handle) -> bool:
    return (await state(handle)).cancel_reason is not None


async def test_temporal_cancellation_compensates_like_a_customer_cancel(
    client: Client, participants: Participants
) -> None:
    await participants.hold("payment")
    order = new_order()
    handle = await start(client, order)
    await participants.until_held("payment")

    await handle.cancel()
    await poll(lambda: _cancel_requested(handle), what="the cancellation seen by the order")
    await participants.release("payment")
    result = await handle.result()

    assert result.status is OrderStatus.CANCELLED
    assert names(result.compensations) == ["refund_payment", "release_inventory"]
    assert statuses(await participants.records("payment", order.order_id)) == ["refunded"]
    assert statuses(await participants.records("inventory", order.order_id)) == ["released"]


async def test_cancel_after_completion_is_rejected(
    client: Client, participants: Participants
) -> None:
    order = new_order()
    handle = await start(client, order)
    assert (await handle.result()).status is OrderStatus.COMPLETED

    with pytest.raises(Exception, match="completed"):
        await handle.execute_update(OrderWorkflow.cancel, CancelRequest())
    assert statuses(await participants.records("payment", order.order_id)) == ["captured"]


async def test_cancel_while_compensating_a_failure_is_rejected(
    client: Client, participants: Participants
) -> None:
    await participants.hold("payment")
    order = new_order(payment_token="tok_insufficientFunds")
    handle = await start(client, order)
    await participants.until_held("payment")
    # The release runs after the refund: held at inventory, the order is compensating.
    await participants.hold("inventory")
    await participants.release("payment")
    await participants.until_held("inventory")
    assert (await state(handle)).status is OrderStatus.COMPENSATING

    with pytest.raises(WorkflowUpdateFailedError) as rejected:
        await handle.execute_update(OrderWorkflow.cancel, CancelRequest())
    assert isinstance(rejected.value.cause, ApplicationError)
    assert rejected.value.cause.type == "CancelRejected"
    await participants.release("inventory")
    assert (await handle.result()).status is OrderStatus.FAILED


async def test_a_temporal_cancel_while_compensating_a_failure_leaves_it_a_failure(
    client: Client, participants: Participants
) -> None:
    """The Web UI's cancel button during the undo of a decline: the order stays FAILED."""
    await participants.hold("payment")
    order = new_order(payment_token="tok_chargeDeclined")
    handle = await start(client, order)
    await participants.until_held("payment")
    # The release runs after the refund: held at inventory, the order is compensating.
    await participants.hold("inventory")
    await participants.release("payment")
    await participants.until_held("inventory")
    assert (await state(handle)).status is OrderStatus.COMPENSATING

    await handle.cancel()
    await participants.release("inventory")
    result = await handle.result()

    assert result.status is OrderStatus.FAILED
    assert result.cancel_reason is None
    assert result.failure is not None and result.failure.type == "PaymentDeclined"
    assert result.events == [event_id(EventType.ORDER_FAILED, order.order_id)]
    assert statuses(await participants.records("inventory", order.order_id)) == ["released"]


async def test_a_compensation_retries_until_it_succeeds(
    client: Client, participants: Participants
) -> None:
    await participants.hold("payment")
    order = new_order(payment_token="tok_chargeDeclined")
    handle = await start(client, order)
    await participants.until_held("payment")
    await participants.set_faults("inventory", error_rate=1.0)  # before the release is tried
    await participants.release("payment")
    await poll(lambda: _attempted_twice(handle, "release_inventory"), what="release retried")
    await participants.set_faults("inventory", error_rate=0.0)

    result = await handle.result()
    assert result.status is OrderStatus.FAILED
    release = result.compensations[-1]
    assert (release.name, release.outcome) == ("release_inventory", Outcome.SUCCEEDED)
    assert release.attempts >= 2
    assert statuses(await participants.records("inventory", order.order_id)) == ["released"]


def test_worker_fixture_is_running(worker: Worker) -> None:
    assert worker.is_running
