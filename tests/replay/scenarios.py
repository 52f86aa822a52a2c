"""One real order per scenario, driven the way the integration tests drive them.

Each scenario places an order whose id is the scenario's name (so its workflow id, and its
history's file name, is `order-<scenario>`), pushes it down its path with the services' fault
switches or a cancel, and returns once the order has settled.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from temporalio.worker import Worker

from activities.events import EventActivities
from orders.errors import ContractViolation, Undeliverable
from orders.models import (
    CancelRequest,
    Finish,
    FinishRequest,
    LineItem,
    OrderInput,
    OrderStatus,
    SettledRequest,
    order_fingerprint,
)
from orders.temporal import ActivityName, workflow_id
from tests.integration.orders import OrderHandle, pending_attempt, poll, start, state
from tests.integration.participants import new_order
from tests.replay.stack import Stack
from tests.stand_ins import StandIns
from workflows.order import OrderWorkflow

Scenario = Callable[[Stack], Awaitable[OrderHandle]]
SCENARIOS: dict[str, Scenario] = {}

FORWARD = (
    ("inventory", ActivityName.RESERVE_INVENTORY),
    ("payment", ActivityName.CHARGE_PAYMENT),
    ("shipping", ActivityName.SCHEDULE_SHIPMENT),
)


def scenario(name: str) -> Callable[[Scenario], Scenario]:
    def register(drive: Scenario) -> Scenario:
        SCENARIOS[name] = drive
        return drive

    return register


async def _settled(handle: OrderHandle) -> OrderHandle:
    await handle.result()
    return handle


async def _status_is(handle: OrderHandle, status: OrderStatus) -> bool:
    return (await state(handle)).status is status


async def _cancel_requested(handle: OrderHandle) -> bool:
    return (await state(handle)).cancel_reason is not None


async def _attempted_twice(handle: OrderHandle, activity: str) -> bool:
    return await pending_attempt(handle, activity) >= 2


def _order(name: str, **changes: Any) -> OrderInput:
    return new_order(order_id=name, **changes)


@scenario("happy")
async def happy(stack: Stack) -> OrderHandle:
    """Completed; the caller waits with the `settled` update, as `POST /orders?wait=` does."""
    order = _order("happy")
    handle = await start(stack.client, order)
    await handle.execute_update(
        OrderWorkflow.settled,
        SettledRequest(fingerprint=order_fingerprint(order), wait_seconds=60),
    )
    return await _settled(handle)


@scenario("wait-runs-out")
async def wait_runs_out(stack: Stack) -> OrderHandle:
    """A caller's wait runs out while shipping is held: its `settled` update answers unsettled."""
    await stack.participants.hold("shipping")
    order = _order("wait-runs-out")
    handle = await start(stack.client, order)
    await stack.participants.until_held("shipping")
    early = await handle.execute_update(
        OrderWorkflow.settled,
        SettledRequest(fingerprint=order_fingerprint(order), wait_seconds=0.5),
    )
    assert early.status is OrderStatus.SCHEDULING_SHIPMENT
    await stack.participants.release("shipping")
    return await _settled(handle)


@scenario("out-of-stock")
async def out_of_stock(stack: Stack) -> OrderHandle:
    items = [LineItem(sku="WIDGET-1", quantity=1), LineItem(sku="RARE-9", quantity=1)]
    return await _settled(await start(stack.client, _order("out-of-stock", items=items)))


@scenario("declined")
async def declined(stack: Stack) -> OrderHandle:
    order = _order("declined", payment_token="tok_chargeDeclined")
    return await _settled(await start(stack.client, order))


@scenario("undeliverable")
async def undeliverable(stack: Stack) -> OrderHandle:
    address = new_order().shipping_address.model_copy(update={"country": "AQ"})
    order = _order("undeliverable", shipping_address=address)
    return await _settled(await start(stack.client, order))


@scenario("cancel-in-flight")
async def cancel_in_flight(stack: Stack) -> OrderHandle:
    """The customer cancels while the shipment is held: it lands once let go, then all is undone."""
    await stack.participants.hold("shipping")
    handle = await start(stack.client, _order("cancel-in-flight"))
    await stack.participants.until_held("shipping")
    await handle.execute_update(OrderWorkflow.cancel, CancelRequest(reason="changed mind"))
    await stack.participants.release("shipping")
    return await _settled(handle)


@scenario("temporal-cancel-in-flight")
async def temporal_cancel_in_flight(stack: Stack) -> OrderHandle:
    """A Temporal cancellation (the Web UI's button) while the charge is held."""
    await stack.participants.hold("payment")
    handle = await start(stack.client, _order("temporal-cancel-in-flight"))
    await stack.participants.until_held("payment")
    await handle.cancel()
    await poll(lambda: _cancel_requested(handle), what="the cancellation seen by the order")
    await stack.participants.release("payment")
    return await _settled(handle)


@scenario("temporal-cancel-while-compensating")
async def temporal_cancel_while_compensating(stack: Stack) -> OrderHandle:
    """A Temporal cancellation while a decline is undone: it changes nothing, the order FAILED."""
    await stack.participants.hold("payment")
    order = _order("temporal-cancel-while-compensating", payment_token="tok_chargeDeclined")
    handle = await start(stack.client, order)
    await stack.participants.until_held("payment")
    await stack.participants.hold("inventory")
    await stack.participants.release("payment")
    await stack.participants.until_held("inventory")
    await handle.cancel()
    await stack.participants.release("inventory")
    return await _settled(handle)


@scenario("transient-faults")
async def transient_faults(stack: Stack) -> OrderHandle:
    """Every participant fails until its step has been retried, then heals: completed."""
    for service, _ in FORWARD:
        await stack.participants.set_faults(service, error_rate=1.0)
    handle = await start(stack.client, _order("transient-faults"))
    for service, activity in FORWARD:
        await poll(partial(_attempted_twice, handle, activity), what=f"{activity} retried")
        await stack.participants.set_faults(service, error_rate=0.0)
    return await _settled(handle)


@scenario("compensation-retries")
async def compensation_retries(stack: Stack) -> OrderHandle:
    """Declined; the release fails until it has been retried, then succeeds: FAILED."""
    await stack.participants.hold("payment")
    order = _order("compensation-retries", payment_token="tok_chargeDeclined")
    handle = await start(stack.client, order)
    await stack.participants.until_held("payment")
    await stack.participants.set_faults("inventory", error_rate=1.0)  # before the release runs
    await stack.participants.release("payment")
    release = partial(_attempted_twice, handle, ActivityName.RELEASE_INVENTORY)
    await poll(release, what="release retried")
    await stack.participants.set_faults("inventory", error_rate=0.0)
    return await _settled(handle)


def _refusing_the_refund() -> StandIns:
    return StandIns(
        refusals={
            ActivityName.SCHEDULE_SHIPMENT: Undeliverable(
                "we do not ship there", {"country": "AQ"}
            ),
            ActivityName.REFUND_PAYMENT: ContractViolation("refund window closed", {"status": 400}),
        }
    )


async def _left_to_an_operator(
    stack: Stack, name: str, stand_ins: StandIns, finish: Callable[[OrderHandle], Awaitable[None]]
) -> OrderHandle:
    """Undeliverable, the refund refused for good: COMPENSATION_FAILED, then `finish` it.

    No real participant refuses a refund, so stand-ins play them on a task queue of their own;
    the event goes to the real bus.
    """
    task_queue = f"stand-ins-{uuid.uuid4().hex[:8]}"
    events = EventActivities(stack.settings.nats_url)
    try:
        async with Worker(
            stack.client,
            task_queue=task_queue,
            workflows=[OrderWorkflow],
            activities=[*stand_ins.participants(), events.publish],
        ):
            order = _order(name)
            handle = await stack.client.start_workflow(
                OrderWorkflow.run, order, id=workflow_id(order.order_id), task_queue=task_queue
            )
            await poll(
                lambda: _status_is(handle, OrderStatus.COMPENSATION_FAILED),
                what="left to an operator",
            )
            await finish(handle)
            return await _settled(handle)
    finally:
        await events.close()


async def _finish(handle: OrderHandle, action: Finish, note: str) -> None:
    await handle.execute_update(
        OrderWorkflow.finish_compensation,
        FinishRequest(action=action, operator="key:histories", note=note),
    )


@scenario("compensation-failed")
async def compensation_failed(stack: Stack) -> OrderHandle:
    """Left COMPENSATION_FAILED, then finished by hand: FAILED, the operator named."""

    async def by_hand(handle: OrderHandle) -> None:
        await _finish(handle, Finish.BY_HAND, "refunded in the PSP dashboard")

    return await _left_to_an_operator(stack, "compensation-failed", _refusing_the_refund(), by_hand)


@scenario("compensation-retried")
async def compensation_retried(stack: Stack) -> OrderHandle:
    """Left COMPENSATION_FAILED; the refund works again and an operator retries it: FAILED."""
    stand_ins = _refusing_the_refund()

    async def retry(handle: OrderHandle) -> None:
        del stand_ins.refusals[ActivityName.REFUND_PAYMENT]
        await _finish(handle, Finish.RETRY, "refund window reopened")

    return await _left_to_an_operator(stack, "compensation-retried", stand_ins, retry)
