"""Order events as the orchestrator publishes them, for tests of their consumers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from orders.events import (
    Customer,
    EventLine,
    EventType,
    OrderCancelled,
    OrderCancelledData,
    OrderCompleted,
    OrderCompletedData,
    OrderFailed,
    OrderFailedData,
    event_id,
)

TRACEPARENT = "00-" + "4bf92f3577b34da6a3ce929d0e0e4736" + "-" + "00f067aa0ba902b7" + "-01"
MOMENT = datetime(2025, 3, 14, 15, 9, 26, tzinfo=UTC)
LINES = [
    EventLine(sku="WIDGET-1", quantity=2, unit_price=2500, line_total=5000),
    EventLine(sku="GADGET-2", quantity=1, unit_price=2599, line_total=2599),
]
TOTAL = 7599  # 75.99 USD: 75 points


def new_order_id(prefix: str = "ord") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _facts(order_id: str, customer_id: str, email_address: str | None) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "customer": Customer(id=customer_id, name="Ada Lovelace", email=email_address),
        "currency": "USD",
        "lines": LINES,
        "total": TOTAL,
        "placed_at": MOMENT,
    }


def _envelope(kind: EventType, order_id: str) -> dict[str, Any]:
    return {
        "id": event_id(kind, order_id),
        "subject": order_id,
        "time": MOMENT,
        "correlationid": f"order-{order_id}",
        "traceparent": TRACEPARENT,
    }


def completed_event(
    order_id: str, *, customer_id: str = "cust-42", email_address: str | None = "ada@example.com"
) -> OrderCompleted:
    return OrderCompleted(
        **_envelope(EventType.ORDER_COMPLETED, order_id),
        data=OrderCompletedData(
            **_facts(order_id, customer_id, email_address),
            reservation_id="res_1",
            charge_id="ch_1",
            shipment_id="shp_1",
            carrier="Royal Mail",
            tracking_number="RM123456789GB",
            ship_to_country="GB",
            completed_at=MOMENT,
        ),
    )


def failed_event(order_id: str, *, customer_id: str = "cust-42") -> OrderFailed:
    return OrderFailed(
        **_envelope(EventType.ORDER_FAILED, order_id),
        data=OrderFailedData(
            **_facts(order_id, customer_id, None),
            failure_type="PaymentDeclined",
            failure_message="card_declined",
            failed_step="charge_payment",
            compensations=["release_inventory"],
            failed_at=MOMENT,
        ),
    )


def cancelled_event(order_id: str, *, customer_id: str = "cust-42") -> OrderCancelled:
    return OrderCancelled(
        **_envelope(EventType.ORDER_CANCELLED, order_id),
        data=OrderCancelledData(
            **_facts(order_id, customer_id, None),
            reason="changed my mind",
            compensations=["cancel_shipment", "refund_payment", "release_inventory"],
            cancelled_at=MOMENT,
        ),
    )
