"""An order's fingerprint is its content: how it is run (local activities or not) is not, and
neither is a field added later and left at its default."""

from __future__ import annotations

from pydantic import Field

from orders.models import Address, LineItem, OrderInput, order_fingerprint
from tests.integration.participants import new_order

A_1001 = OrderInput(
    order_id="A-1001",
    customer_id="cust-42",
    currency="USD",
    items=[LineItem(sku="WIDGET-1", quantity=2), LineItem(sku="GADGET-2", quantity=1)],
    payment_token="tok_visa",
    shipping_address=Address(
        name="Ada Lovelace",
        line1="12 St James's Square",
        city="London",
        postal_code="SW1Y 4JH",
        country="GB",
    ),
)


class GrownAddress(Address):
    floor: int | None = None


class GrownOrderInput(OrderInput):
    """`OrderInput` as a later version may have it: new fields, with defaults, on it and on
    its address."""

    gift_wrap: bool = False
    note: str | None = Field(default=None)
    shipping_address: GrownAddress


def test_local_activities_do_not_change_the_fingerprint() -> None:
    order = new_order()
    local = order.model_copy(update={"local_activities": True})
    assert order_fingerprint(local) == order_fingerprint(order)
    assert order_fingerprint(order.model_copy(update={"customer_id": "other"})) != (
        order_fingerprint(order)
    )


def test_fingerprints_written_by_the_first_version_still_match() -> None:
    """Orders in flight carry these in their memo: a resubmission must still find them equal."""
    assert order_fingerprint(A_1001) == (
        "817d232d26c07f314814732fc132ca0ed3ba87dbe57761587b789484697ba89c"
    )
    filled = A_1001.model_copy(
        update={
            "customer_email": "ada@example.com",
            "shipping_address": A_1001.shipping_address.model_copy(update={"line2": "Flat 2"}),
        }
    )
    assert order_fingerprint(filled) == (
        "4ec4f31abdf3a3953d3335bbe95014232f06e8859620352932800b0d455bc22e"
    )


def test_a_field_added_with_a_default_leaves_existing_orders_fingerprints_alone() -> None:
    grown = GrownOrderInput(
        **A_1001.model_dump(exclude={"shipping_address"}),
        shipping_address=GrownAddress(**A_1001.shipping_address.model_dump()),
    )
    assert order_fingerprint(grown) == order_fingerprint(A_1001)
    # Sent at its default, it is the same order; given a value, it is another.
    assert order_fingerprint(grown.model_copy(update={"gift_wrap": False})) == (
        order_fingerprint(A_1001)
    )
    assert order_fingerprint(grown.model_copy(update={"gift_wrap": True})) != (
        order_fingerprint(A_1001)
    )
    floor = grown.shipping_address.model_copy(update={"floor": 3})
    assert order_fingerprint(grown.model_copy(update={"shipping_address": floor})) != (
        order_fingerprint(A_1001)
    )
