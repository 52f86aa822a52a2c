"""The closing fact of each order lands in JetStream exactly once, even across a NATS outage."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from nats.js import JetStreamContext
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment

from activities.events import EventActivities
from orders.bus import STREAM, connect_nats
from orders.events import (
    EventType,
    OrderCancelled,
    OrderCompleted,
    OrderFailed,
    parse_event,
    subject_token,
)
from orders.models import CancelRequest, LineItem, OrderStatus, PublishEventInput
from tests.integration.orders import pending_attempt, poll, run, start, state
from tests.integration.participants import HAPPY_TOTAL, Participants, new_order
from tests.nats import NatsServer
from workflows.order import OrderWorkflow

pytestmark = pytest.mark.usefixtures("worker")


@pytest.fixture(scope="session")
async def jetstream(nats_server: NatsServer) -> AsyncIterator[JetStreamContext]:
    nc = await connect_nats(nats_server.url, "tests")
    js = nc.jetstream()
    yield js
    await nc.close()


async def published(js: JetStreamContext, order_id: str) -> dict[str, int]:
    """How many messages the stream holds per event subject of this order."""
    info = await js.stream_info(
        STREAM, subjects_filter=f"orders.events.*.{subject_token(order_id)}"
    )
    return dict(info.state.subjects or {})


async def last_event(
    js: JetStreamContext, subject: str
) -> OrderCompleted | OrderFailed | OrderCancelled:
    return parse_event((await js.get_last_msg(STREAM, subject)).data or b"")


async def test_a_completed_order_publishes_one_order_completed(
    client: Client, jetstream: JetStreamContext
) -> None:
    order = new_order(customer_email="ada@example.com")
    result = await run(client, order)

    subject = f"orders.events.completed.{order.order_id}"
    assert await published(jetstream, order.order_id) == {subject: 1}
    event = await last_event(jetstream, subject)
    assert isinstance(event, OrderCompleted)
    assert result.events == [event.id] == [f"orders.order.completed.v1:{order.order_id}"]
    assert event.correlationid == f"order-{order.order_id}"
    data = event.data
    assert (data.total, data.charge_id, data.shipment_id) == (
        HAPPY_TOTAL,
        result.charge_id,
        result.shipment_id,
    )
    assert [(line.sku, line.unit_price) for line in data.lines] == [
        ("GADGET-2", 4500),
        ("WIDGET-1", 1500),
    ]
    assert data.customer.email == "ada@example.com" and data.customer.name == "Ada Lovelace"


async def test_failed_and_cancelled_orders_publish_their_own_fact(
    client: Client, jetstream: JetStreamContext, participants: Participants
) -> None:
    failed = new_order(items=[LineItem(sku="RARE-9", quantity=1)])
    assert (await run(client, failed)).status is OrderStatus.FAILED
    event = await last_event(jetstream, f"orders.events.failed.{failed.order_id}")
    assert isinstance(event, OrderFailed)
    assert (event.data.failure_type, event.data.compensations) == (
        "OutOfStock",
        ["release_inventory"],
    )
    assert event.data.total is None and event.data.lines[0].unit_price is None

    await participants.hold("shipping")
    cancelled = new_order()
    handle = await start(client, cancelled)
    await participants.until_held("shipping")
    await handle.execute_update(OrderWorkflow.cancel, CancelRequest(reason="changed mind"))
    await participants.release("shipping")
    assert (await handle.result()).status is OrderStatus.CANCELLED
    subjects = await published(jetstream, cancelled.order_id)
    assert subjects == {f"orders.events.cancelled.{cancelled.order_id}": 1}
    event = await last_event(jetstream, f"orders.events.cancelled.{cancelled.order_id}")
    assert isinstance(event, OrderCancelled) and event.data.reason == "changed mind"


async def test_the_order_completes_while_nats_is_down_and_its_event_lands_once(
    client: Client, jetstream: JetStreamContext, nats_server: NatsServer
) -> None:
    order = new_order()
    nats_server.stop()
    try:
        handle = await start(client, order)

        async def completed_and_retrying() -> bool:
            if (await state(handle)).status is not OrderStatus.COMPLETED:
                return False
            return await pending_attempt(handle, "publish_event") >= 2

        await poll(completed_and_retrying, what="publish retrying", within=60)
    finally:
        await nats_server.start()

    result = await handle.result()
    assert result.status is OrderStatus.COMPLETED
    assert result.events == [f"orders.order.completed.v1:{order.order_id}"]
    assert await published(jetstream, order.order_id) == {
        f"orders.events.completed.{order.order_id}": 1
    }


async def test_a_duplicate_acknowledgement_counts_as_success(
    client: Client, jetstream: JetStreamContext, nats_server: NatsServer
) -> None:
    order = new_order()
    await run(client, order)
    event = await last_event(jetstream, f"orders.events.completed.{order.order_id}")

    events = EventActivities(nats_server.url)
    try:
        again = await ActivityEnvironment().run(events.publish, PublishEventInput(event=event))
    finally:
        await events.close()
    assert again.duplicate and again.event_id == event.id
    assert await published(jetstream, order.order_id) == {
        f"orders.events.completed.{order.order_id}": 1
    }
    assert event.type is EventType.ORDER_COMPLETED
