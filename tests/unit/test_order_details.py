"""What the Web UI shows about an order: activity summaries and current details, as text."""

from __future__ import annotations

from datetime import UTC, datetime

from orders.models import (
    Compensation,
    Failure,
    Finish,
    LineItem,
    OrderState,
    OrderStatus,
    Outcome,
    Resolution,
    StepRecord,
)
from workflows.details import Waiting, current_details, describe_lines, undo_summary

NOW = datetime(2025, 5, 1, 12, 30, 5, tzinfo=UTC)
ITEMS = [LineItem(sku="WIDGET-1", quantity=2), LineItem(sku="GADGET-2", quantity=1)]


def state(**changes: object) -> OrderState:
    fields: dict[str, object] = {
        "order_id": "o-1",
        "customer_id": "c-42",
        "status": OrderStatus.RECEIVED,
        "currency": "USD",
        "items": ITEMS,
    }
    fields.update(changes)
    return OrderState.model_validate(fields)


def record(name: str, outcome: Outcome, detail: str | None = None) -> StepRecord:
    return StepRecord(name=name, outcome=outcome, started_at=NOW, attempts=1, detail=detail)


def test_lines_are_named_until_there_are_many() -> None:
    assert describe_lines(ITEMS) == "2 x WIDGET-1, 1 x GADGET-2 (3 items)"
    many = [LineItem(sku=f"SKU-{n}", quantity=1) for n in range(5)]
    assert describe_lines(many) == "5 items in 5 lines"


def test_undo_summaries_name_what_they_undo_when_known() -> None:
    known = state(reservation_id="rsv_1", charge_id="ch_9", shipment_id="shp_3", total=7500)
    assert undo_summary(Compensation.RELEASE_INVENTORY, known) == "Release reservation rsv_1"
    assert undo_summary(Compensation.REFUND_PAYMENT, known) == "Refund ch_9 (75.00 USD)"
    assert undo_summary(Compensation.CANCEL_SHIPMENT, known) == "Cancel shipment shp_3"
    # A step that timed out may have landed unseen: its undo looks it up by order id.
    assert undo_summary(Compensation.REFUND_PAYMENT, state()) == "Refund any charge of the order"


def test_a_running_order_says_what_it_waits_on_and_since_when() -> None:
    text = current_details(
        state(
            status=OrderStatus.CHARGING_PAYMENT,
            total=7500,
            steps=[record("reserve_inventory", Outcome.SUCCEEDED)],
        ),
        Waiting(on="Charge 75.00 USD (`charge_payment`)", since=NOW),
    )
    assert text.splitlines()[0] == (
        "**CHARGING_PAYMENT** · 2 x WIDGET-1, 1 x GADGET-2 (3 items) · 75.00 USD · customer c-42"
    )
    since = "since 2025-05-01 12:30:05 UTC"
    assert f"- Waiting on: Charge 75.00 USD (`charge_payment`), {since}" in text
    assert "- Steps: ✓ reserve_inventory" in text
    assert "Compensations" not in text


def test_compensating_lists_what_ran_what_runs_and_what_is_left() -> None:
    text = current_details(
        state(
            status=OrderStatus.COMPENSATING,
            failure=Failure(type="Undeliverable", message="no carrier", step="schedule_shipment"),
            compensations=[
                record("cancel_shipment", Outcome.SUCCEEDED, "nothing to undo"),
                record("refund_payment", Outcome.RUNNING),
            ],
        ),
        Waiting(on="Refund ch_9 (75.00 USD) (`refund_payment`)", since=NOW),
        ["release_inventory"],
    )
    assert "- Failed at schedule_shipment: Undeliverable: no carrier" in text
    assert "- Compensations ran: ✓ cancel_shipment — nothing to undo" in text
    assert "- Compensation running: … refund_payment" in text
    assert "- Compensations left: release_inventory" in text


def test_a_settled_order_waits_on_nothing_and_names_what_an_operator_must_finish() -> None:
    text = current_details(
        state(
            status=OrderStatus.COMPENSATION_FAILED,
            compensations=[record("refund_payment", Outcome.FAILED, "refund refused")],
            left_to_undo=["refund_payment"],
        ),
        None,
    )
    assert "- Waiting on: nothing, the order is settled" in text
    assert "- Compensations ran: ✗ refund_payment — refund refused" in text
    assert "- **Left for an operator:** refund_payment" in text
    assert "total not priced yet (USD)" in text


def test_an_operators_finish_says_who_did_what() -> None:
    text = current_details(
        state(
            status=OrderStatus.FAILED,
            resolutions=[
                Resolution(
                    action=Finish.RETRY, operator="key:ops1", undos=["refund_payment"], at=NOW
                ),
                Resolution(
                    action=Finish.BY_HAND,
                    operator="jwt:ada",
                    note="refunded in the PSP dashboard",
                    undos=["refund_payment"],
                    at=NOW,
                ),
            ],
        ),
        None,
    )
    assert "- Operator key:ops1 retried refund_payment, 2025-05-01 12:30:05 UTC" in text
    assert (
        "- Operator jwt:ada finished refund_payment by hand, 2025-05-01 12:30:05 UTC: "
        '"refunded in the PSP dashboard"'
    ) in text
