"""The audit's invariants on hand-made evidence: what each kind of disagreement reads as."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import WorkflowExecutionStatus

from cli.audit.checks import check
from cli.audit.evidence import AuditedOrder, Evidence
from orders.models import (
    Finish,
    LineItem,
    OrderState,
    OrderStatus,
    Outcome,
    Resolution,
    StepRecord,
)

NOW = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)
STUCK_AFTER = timedelta(minutes=5)


def order(
    order_id: str,
    status: OrderStatus,
    *,
    workflow: WorkflowExecutionStatus = WorkflowExecutionStatus.COMPLETED,
    at: datetime = NOW - timedelta(minutes=1),
    **changes: Any,
) -> AuditedOrder:
    state = OrderState(
        order_id=order_id,
        customer_id="cust-1",
        status=status,
        currency="USD",
        items=[LineItem(sku="WIDGET-1", quantity=1)],
        total=1500,
        steps=[StepRecord(name="reserve_inventory", outcome=Outcome.SUCCEEDED, started_at=at)],
        **changes,
    )
    return AuditedOrder(order_id, workflow, at, state)


def record(order_id: str, status: str, **extra: Any) -> dict[str, Any]:
    return {"id": f"r-{order_id}-{status}", "order_id": order_id, "status": status, **extra}


def completed_evidence(*orders: AuditedOrder) -> Evidence:
    """Evidence in which every COMPLETED order among `orders` is whole."""
    ids = [o.order_id for o in orders]
    day = (NOW - timedelta(minutes=1)).date()
    return Evidence(
        orders=list(orders),
        known_ids=set(ids),
        records={
            "inventory": {i: [record(i, "reserved")] for i in ids},
            "payment": {i: [record(i, "captured", amount=1500)] for i in ids},
            "shipping": {i: [record(i, "scheduled")] for i in ids},
        },
        events=Counter({("completed", i): 1 for i in ids}),
        notifications=dict.fromkeys(ids, 1),
        loyalty=dict.fromkeys(ids, 1),
        analytics={day: {"completed": len(ids)}},
    )


def found(evidence: Evidence) -> set[tuple[str, str]]:
    return {(v.order_id, v.invariant) for v in check(evidence, stuck_after=STUCK_AFTER, now=NOW)}


def test_a_whole_completed_order_is_clean() -> None:
    assert found(completed_evidence(order("A", OrderStatus.COMPLETED))) == set()


def test_a_charge_of_another_amount_and_a_second_event_are_reported() -> None:
    evidence = completed_evidence(order("A", OrderStatus.COMPLETED))
    evidence.records["payment"]["A"] = [record("A", "captured", amount=1499)]
    evidence.events["completed", "A"] = 2
    assert found(evidence) == {("A", "charge = total"), ("A", "one event")}


def test_a_failed_order_with_a_charge_kept_and_points_given_is_reported() -> None:
    evidence = completed_evidence(order("B", OrderStatus.FAILED))
    evidence.records["inventory"]["B"] = [record("B", "released")]
    evidence.records["shipping"]["B"] = []
    evidence.events = Counter({("failed", "B"): 1})
    evidence.analytics = {NOW.date(): {"failed": 1}}
    assert found(evidence) == {("B", "charges undone"), ("B", "loyalty once")}


def test_stuck_compensation_failed_and_orphans_are_reported() -> None:
    stuck = order(
        "C",
        OrderStatus.CHARGING_PAYMENT,
        workflow=WorkflowExecutionStatus.RUNNING,
        at=NOW - timedelta(minutes=6),
    )
    moving = order("D", OrderStatus.CHARGING_PAYMENT, workflow=WorkflowExecutionStatus.RUNNING)
    operator = order("E", OrderStatus.COMPENSATION_FAILED, left_to_undo=["refund_payment"])
    waiting = order(
        "F",
        OrderStatus.COMPENSATION_FAILED,
        workflow=WorkflowExecutionStatus.RUNNING,  # waits for an operator, however recent
        left_to_undo=["refund_payment"],
    )
    evidence = completed_evidence()
    evidence.orders = [stuck, moving, operator, waiting]
    evidence.known_ids = {"C", "D", "E", "F"}
    evidence.records["payment"]["ghost"] = [record("ghost", "captured", amount=1)]
    assert found(evidence) == {
        ("C", "not stuck"),
        ("E", "compensated"),
        ("F", "compensated"),
        ("ghost", "no orphans"),
    }


def test_an_undo_an_operator_did_by_hand_is_not_looked_for() -> None:
    by_hand = Resolution(
        action=Finish.BY_HAND,
        operator="key:ops",
        note="refunded in the PSP",
        undos=["refund_payment"],
        at=NOW,
    )
    retried = by_hand.model_copy(update={"action": Finish.RETRY})
    evidence = completed_evidence()
    evidence.orders = [
        order("G", OrderStatus.FAILED, resolutions=[by_hand]),
        order("H", OrderStatus.FAILED, resolutions=[retried]),
    ]
    evidence.known_ids = {"G", "H"}
    for order_id in ("G", "H"):
        evidence.records["inventory"][order_id] = [record(order_id, "released")]
        evidence.records["payment"][order_id] = [record(order_id, "captured", amount=1500)]
        evidence.records["shipping"][order_id] = []
        evidence.events["failed", order_id] = 1
    evidence.notifications = {"G": 1, "H": 1}
    evidence.loyalty = {}
    evidence.analytics = {NOW.date(): {"failed": 2}}
    assert found(evidence) == {("H", "charges undone")}  # a retry must have refunded it


def test_analytics_counting_fewer_orders_than_settled_is_reported() -> None:
    evidence = completed_evidence(order("A", OrderStatus.COMPLETED))
    evidence.analytics = {}
    day = (NOW - timedelta(minutes=1)).date()
    assert found(evidence) == {(f"(day {day})", "analytics counted")}


def test_a_consumer_that_applied_an_order_twice_or_never_is_reported() -> None:
    evidence = completed_evidence(
        order("A", OrderStatus.COMPLETED), order("B", OrderStatus.COMPLETED)
    )
    evidence.applied = {
        "notification": {"A": 1, "B": 1},
        "loyalty": {"A": 1, "B": 1},
        "analytics": {"A": 2},  # B never counted, A counted twice
    }
    assert found(evidence) == {("A", "analytics applied once"), ("B", "analytics applied once")}


def found_in_flight(evidence: Evidence) -> set[tuple[str, str]]:
    violations = check(evidence, stuck_after=STUCK_AFTER, now=NOW, in_flight=True)
    return {(v.order_id, v.invariant) for v in violations}


def test_in_flight_what_is_still_on_its_way_is_not_a_violation() -> None:
    """Settled a moment ago: its event not yet in the stream, no consumer has applied it."""
    evidence = completed_evidence(order("A", OrderStatus.COMPLETED))
    evidence.events = Counter()
    evidence.notifications, evidence.loyalty, evidence.analytics = {}, {}, {}
    evidence.applied = {"notification": {}, "loyalty": {}}
    stuck = order(
        "C", OrderStatus.CHARGING_PAYMENT, workflow=WorkflowExecutionStatus.RUNNING, at=NOW
    )
    evidence.orders.append(stuck)
    evidence.known_ids.add("C")

    assert found_in_flight(evidence) == set()
    assert ("A", "one event") in found(evidence)


def test_in_flight_what_can_never_heal_is_a_violation() -> None:
    evidence = completed_evidence(order("A", OrderStatus.COMPLETED), order("B", OrderStatus.FAILED))
    evidence.events["completed", "A"] = 2
    evidence.events["failed", "B"] = 1
    evidence.events["completed", "B"] = 0
    evidence.loyalty["A"] = 2
    evidence.records["shipping"]["B"] = []
    evidence.records["inventory"]["B"] = [record("B", "released")]
    # B's charge is still captured: a failed order that kept the money.
    evidence.records["payment"]["ghost"] = [record("ghost", "captured", amount=1)]

    assert found_in_flight(evidence) == {
        ("A", "one event"),
        ("A", "loyalty once"),
        ("B", "charges undone"),
        ("B", "loyalty once"),
        ("ghost", "no orphans"),
    }
