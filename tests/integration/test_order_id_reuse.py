"""An order id placed again once its first workflow is gone (past the namespace's retention):
the new order does its own work, and undoing it never touches the first order's records.

The API refuses a second workflow for an id while the first is retained; once the server has
dropped it, nothing remembers the id but the participants. The tests start the second workflow
with the same id directly (the default reuse policy allows it once the first has closed), which
is what the API does then: a new workflow, its own first run.
"""

from __future__ import annotations

import pytest
from temporalio.client import Client

from orders.models import OrderStatus
from tests.integration.orders import run
from tests.integration.participants import Participants, new_order

pytestmark = pytest.mark.usefixtures("worker")


def _by_status(records: list[dict[str, object]]) -> dict[object, str]:
    return {record["id"]: str(record["status"]) for record in records}


async def test_a_reused_order_id_does_its_own_work(
    client: Client, participants: Participants
) -> None:
    order = new_order()
    first = await run(client, order)

    second = await run(client, order)

    assert first.status is second.status is OrderStatus.COMPLETED
    assert second.reservation_id != first.reservation_id
    assert second.charge_id != first.charge_id
    assert second.shipment_id != first.shipment_id
    charges = await participants.records("payment", order.order_id)
    assert _by_status(charges) == {first.charge_id: "captured", second.charge_id: "captured"}


async def test_undoing_a_reused_order_id_spares_the_first_orders_records(
    client: Client, participants: Participants
) -> None:
    order = new_order()
    first = await run(client, order)

    second = await run(client, order.model_copy(update={"payment_token": "tok_chargeDeclined"}))

    assert second.status is OrderStatus.FAILED
    assert second.failure is not None and second.failure.type == "PaymentDeclined"
    assert second.reservation_id not in (None, first.reservation_id)
    reservations = await participants.records("inventory", order.order_id)
    assert _by_status(reservations) == {
        first.reservation_id: "reserved",
        second.reservation_id: "released",
    }
    charges = await participants.records("payment", order.order_id)
    assert _by_status(charges) == {first.charge_id: "captured"}
    shipments = await participants.records("shipping", order.order_id)
    assert _by_status(shipments) == {first.shipment_id: "scheduled"}
