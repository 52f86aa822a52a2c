"""The facts a compensated order states: what was undone, and what an operator must finish."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from orders.models import OrderState, OrderStatus, Outcome, StepRecord
from tests.integration.participants import new_order
from workflows import order_events

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
CLOCK: dict[str, Any] = {"now": NOW, "placed_at": NOW, "run_id": "run-1"}


def settled(status: OrderStatus, *undos: tuple[str, Outcome], left: list[str]) -> OrderState:
    order = new_order()
    return OrderState(
        order_id=order.order_id,
        customer_id=order.customer_id,
        status=status,
        currency="USD",
        items=order.items,
        compensations=[
            StepRecord(name=name, outcome=outcome, started_at=NOW) for name, outcome in undos
        ],
        left_to_undo=left,
    )


def test_a_failed_order_lists_the_undos_that_succeeded_and_those_left() -> None:
    order = new_order()
    state = settled(
        OrderStatus.COMPENSATION_FAILED,
        ("cancel_shipment", Outcome.SUCCEEDED),
        ("refund_payment", Outcome.FAILED),
        ("release_inventory", Outcome.SUCCEEDED),
        left=["refund_payment"],
    )
    event = order_events.failed(order, state, None, **CLOCK)
    assert event.data.compensations == ["cancel_shipment", "release_inventory"]
    assert event.data.left_to_undo == ["refund_payment"]


def test_a_cancelled_order_left_half_undone_says_so_too() -> None:
    order = new_order()
    state = settled(
        OrderStatus.COMPENSATION_FAILED,
        ("refund_payment", Outcome.FAILED),
        ("release_inventory", Outcome.SUCCEEDED),
        left=["refund_payment"],
    )
    state.cancel_reason = "changed mind"
    event = order_events.cancelled(order, state, None, **CLOCK)
    assert (event.data.reason, event.data.left_to_undo) == ("changed mind", ["refund_payment"])
    assert event.data.compensations == ["release_inventory"]


def test_a_cleanly_compensated_order_has_nothing_left() -> None:
    state = settled(OrderStatus.FAILED, ("release_inventory", Outcome.SUCCEEDED), left=[])
    event = order_events.failed(new_order(), state, None, **CLOCK)
    assert (event.data.compensations, event.data.left_to_undo) == (["release_inventory"], [])
    assert "left_to_undo" in event.model_dump(mode="json")["data"]
