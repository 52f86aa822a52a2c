"""An order's fingerprint is its content: how it is run (local activities or not) is not."""

from __future__ import annotations

from orders.models import order_fingerprint
from tests.integration.participants import new_order


def test_local_activities_do_not_change_the_fingerprint() -> None:
    order = new_order()
    local = order.model_copy(update={"local_activities": True})
    assert order_fingerprint(local) == order_fingerprint(order)
    assert order_fingerprint(order.model_copy(update={"customer_id": "other"})) != (
        order_fingerprint(order)
    )
