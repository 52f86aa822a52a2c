"""The orders the model places: two customers per example, four outcomes, and how to make
another body for the same `Idempotency-Key` or `order_id`.

An outcome is a property of the body, so the model knows before placing it whether the order
can complete: `RARE-9` is never in stock, `tok_chargeDeclined` is declined, shipping does not
serve `AQ`. Each business failure stops the saga at its own step.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from hypothesis import strategies as st

from orders.models import Step

ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "12 St James's Square",
    "city": "London",
    "postal_code": "SW1Y 4JH",
}


class Outcome(StrEnum):
    COMPLETES = "completes"
    OUT_OF_STOCK = "out_of_stock"
    DECLINED = "declined"
    UNDELIVERABLE = "undeliverable"


FAILS_AT: dict[Outcome, tuple[Step, str]] = {
    Outcome.OUT_OF_STOCK: (Step.RESERVE_INVENTORY, "OutOfStock"),
    Outcome.DECLINED: (Step.CHARGE_PAYMENT, "PaymentDeclined"),
    Outcome.UNDELIVERABLE: (Step.SCHEDULE_SHIPMENT, "Undeliverable"),
}
"""The step each business failure stops the saga at, and the failure's type."""

RESTOCKED = {"WIDGET-1": 1000}
"""Stock set before each example, so a long run never fails orders for want of widgets."""


@dataclass(frozen=True)
class Body:
    customer: int
    """0 or 1: which of the example's two customers places it."""
    outcome: Outcome
    quantity: int

    def json(self, example: int, order_id: str | None) -> dict[str, Any]:
        sku = "RARE-9" if self.outcome is Outcome.OUT_OF_STOCK else "WIDGET-1"
        country = "AQ" if self.outcome is Outcome.UNDELIVERABLE else "GB"
        declined = self.outcome is Outcome.DECLINED
        body: dict[str, Any] = {
            "customer_id": customer_id(example, self.customer),
            "currency": "USD",
            "items": [{"sku": sku, "quantity": self.quantity}],
            "payment_token": "tok_chargeDeclined" if declined else "tok_visa",
            "shipping_address": {**ADDRESS, "country": country},
        }
        if order_id is not None:
            body["order_id"] = order_id
        return body

    def other(self) -> Body:
        """Another body of the same customer: another quantity, so another fingerprint."""
        return replace(self, quantity=self.quantity % 3 + 1)

    def for_other_customer(self) -> Body:
        return replace(self, customer=1 - self.customer)

    @property
    def fails_at(self) -> tuple[Step, str] | None:
        return FAILS_AT.get(self.outcome)

    def __repr__(self) -> str:
        return f"Body(customer={self.customer}, {self.outcome.value}, quantity={self.quantity})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))  # how hypothesis prints a step's body


def customer_id(example: int, customer: int) -> str:
    """Customers of their own per example, so that one example's orders are easy to tell."""
    return f"cust-proto-{example}-{'ab'[customer]}"


def bodies() -> st.SearchStrategy[Body]:
    # Mostly orders that can complete: those are the ones a cancel or a fault can turn.
    outcomes = st.sampled_from([Outcome.COMPLETES] * 3 + list(FAILS_AT))
    return st.builds(Body, st.integers(0, 1), outcomes, st.integers(1, 3))
