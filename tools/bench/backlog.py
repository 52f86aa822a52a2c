"""The drain bench's backlog: `OrderCompleted` events as the workflow publishes them.

Each is a valid CloudEvent of its own order (its id, subject, correlation id and trace), on the
order's subject with its id as `Nats-Msg-Id`, as `activities.events` publishes it; customers,
SKUs and emails repeat the way a shop's do, so the consumers' tables grow as in production.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from nats.js import JetStreamContext

from orders.bus import MSG_ID, STREAM
from orders.events import (
    Customer,
    EventLine,
    EventType,
    OrderCompleted,
    OrderCompletedData,
    event_id,
    event_subject,
)
from orders.telemetry import TRACEPARENT

CUSTOMERS = 500
SKUS = 50
IN_FLIGHT = 200
"""Publishes awaiting their acknowledgement at once: the backlog is not what is measured."""


def completed_event(run: str, index: int, now: datetime) -> OrderCompleted:
    order_id = f"drain-{run}-{index:06d}"
    customer = index % CUSTOMERS
    lines = [
        EventLine(sku=f"SKU-{(index + n) % SKUS:03d}", quantity=1 + n, unit_price=1250 * (n + 1))
        for n in range(1 + index % 3)
    ]
    lines = [
        line.model_copy(update={"line_total": line.quantity * (line.unit_price or 0)})
        for line in lines
    ]
    return OrderCompleted(
        id=event_id(EventType.ORDER_COMPLETED, order_id),
        subject=order_id,
        time=now,
        correlationid=f"order-{order_id}",
        traceparent=f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01",
        data=OrderCompletedData(
            order_id=order_id,
            customer=Customer(
                id=f"cust-{customer}", name=f"Customer {customer}",
                email=f"customer{customer}@example.com",
            ),
            currency="USD",
            lines=lines,
            total=sum(line.line_total or 0 for line in lines),
            placed_at=now - timedelta(seconds=5),
            reservation_id=f"res_{index}",
            charge_id=f"ch_{index}",
            shipment_id=f"shp_{index}",
            carrier="Royal Mail",
            tracking_number=f"RM{index:09d}GB",
            ship_to_country="GB",
            completed_at=now,
        ),
    )  # fmt: skip


async def publish_backlog(
    js: JetStreamContext, count: int, advance: Callable[[int], None] | None = None
) -> None:
    """Publish `count` new orders' `OrderCompleted` to the stream; `advance(done)` as they land."""
    run, now = uuid.uuid4().hex[:8], datetime.now(UTC)

    async def one(index: int) -> None:
        event = completed_event(run, index, now)
        ack = await js.publish(
            event_subject(event.type, event.subject),
            event.model_dump_json().encode(),
            stream=STREAM,
            headers={MSG_ID: event.id, TRACEPARENT: event.traceparent},
        )
        if ack.duplicate:
            raise RuntimeError(f"{event.id} was already in the stream")

    for start in range(0, count, IN_FLIGHT):
        await asyncio.gather(*(one(i) for i in range(start, min(start + IN_FLIGHT, count))))
        if advance is not None:
            advance(min(start + IN_FLIGHT, count))
