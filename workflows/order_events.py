"""The facts an order states when it settles, built from the workflow's state.

Pure functions of their arguments (the caller passes the workflow's clock and run info), so
they are deterministic and unit-testable outside a workflow.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from orders.events import (
        Customer,
        EventLine,
        EventType,
        OrderCancelled,
        OrderCancelledData,
        OrderCompleted,
        OrderCompletedData,
        OrderFacts,
        OrderFailed,
        OrderFailedData,
        event_id,
    )
    from orders.models import OrderInput, OrderState, Outcome, Reservation, Shipment


def traceparent(run_id: str) -> str:
    """A stand-in W3C traceparent derived from the run (a workflow cannot read the trace).

    The publish activity replaces it with its own span's when the worker traces
    (`activities.events`); with tracing off it stays, still one stable trace id per order run.
    """
    digest = hashlib.sha256(run_id.encode()).hexdigest()
    return f"00-{digest[:32]}-{digest[32:48]}-01"


def _envelope(
    event_type: EventType, order: OrderInput, now: datetime, run_id: str
) -> dict[str, Any]:
    return {
        "id": event_id(event_type, order.order_id),
        "subject": order.order_id,
        "time": now,
        "correlationid": f"order-{order.order_id}",
        "traceparent": traceparent(run_id),
    }


def _facts(
    order: OrderInput, state: OrderState, reservation: Reservation | None, placed_at: datetime
) -> dict[str, Any]:
    if reservation is not None:
        lines = [EventLine(**line.model_dump()) for line in reservation.lines]
    else:
        lines = [EventLine(sku=item.sku, quantity=item.quantity) for item in order.items]
    return OrderFacts(
        order_id=order.order_id,
        customer=Customer(
            id=order.customer_id, name=order.shipping_address.name, email=order.customer_email
        ),
        currency=state.currency,
        lines=lines,
        total=state.total,
        placed_at=placed_at,
    ).model_dump()


def _undone(state: OrderState) -> list[str]:
    return [record.name for record in state.compensations if record.outcome is Outcome.SUCCEEDED]


def completed(
    order: OrderInput,
    state: OrderState,
    reservation: Reservation,
    shipment: Shipment,
    *,
    now: datetime,
    placed_at: datetime,
    run_id: str,
) -> OrderCompleted:
    return OrderCompleted(
        **_envelope(EventType.ORDER_COMPLETED, order, now, run_id),
        data=OrderCompletedData(
            **_facts(order, state, reservation, placed_at),
            reservation_id=reservation.id,
            charge_id=state.charge_id or "",
            shipment_id=shipment.id,
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
            ship_to_country=order.shipping_address.country,
            completed_at=now,
        ),
    )


def failed(
    order: OrderInput,
    state: OrderState,
    reservation: Reservation | None,
    *,
    now: datetime,
    placed_at: datetime,
    run_id: str,
) -> OrderFailed:
    failure = state.failure
    return OrderFailed(
        **_envelope(EventType.ORDER_FAILED, order, now, run_id),
        data=OrderFailedData(
            **_facts(order, state, reservation, placed_at),
            failure_type=failure.type if failure else "Unknown",
            failure_message=failure.message if failure else "",
            failed_step=failure.step if failure else None,
            compensations=_undone(state),
            left_to_undo=list(state.left_to_undo),
            failed_at=now,
        ),
    )


def cancelled(
    order: OrderInput,
    state: OrderState,
    reservation: Reservation | None,
    *,
    now: datetime,
    placed_at: datetime,
    run_id: str,
) -> OrderCancelled:
    return OrderCancelled(
        **_envelope(EventType.ORDER_CANCELLED, order, now, run_id),
        data=OrderCancelledData(
            **_facts(order, state, reservation, placed_at),
            reason=state.cancel_reason or "",
            compensations=_undone(state),
            left_to_undo=list(state.left_to_undo),
            cancelled_at=now,
        ),
    )
