"""Each piece of work a saga asks of a participant has a key of its own: its steps' keys name the
order's workflow (the saga), and an undo keys each record it touches apart.

Run against the real inventory service, in process, on each database backend.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from temporalio.testing import ActivityEnvironment

from activities.inventory import InventoryActivities
from orders.models import LineItem, ReserveInventoryInput, UndoInput
from tests.databases import Databases
from tests.unit.services.helpers import APPS, reservation_request, serve_in_process

SAGA = "0193a5b2-7c1d-7e3f-9a00-5b6c7d8e9f01"
LATER_SAGA = "0199e0c4-1a2b-7c3d-8e4f-a5b6c7d8e9f0"


@pytest.fixture
async def inventory(databases: Databases) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(APPS["inventory"](await databases.url("inventory"))) as client:
        yield client


def reserve(saga: str | None = None) -> ReserveInventoryInput:
    return ReserveInventoryInput(
        order_id="o-1", currency="USD", items=[LineItem(sku="WIDGET-1", quantity=2)], saga=saga
    )


async def statuses(inventory: httpx.AsyncClient) -> dict[str, str]:
    listed = (await inventory.get("/reservations", params={"order_id": "o-1"})).json()
    return {record["id"]: record["status"] for record in listed}


async def test_an_undo_of_two_live_records_releases_both(inventory: httpx.AsyncClient) -> None:
    """Two reservations of one order (an order from before sagas, keyed by order id alone)."""
    for key in ("order-o-1:reserve_inventory", "manual-o-1"):
        created = await inventory.post(
            "/reservations",
            json=reservation_request("o-1", ("WIDGET-1", 1)),
            headers={"Idempotency-Key": key},
        )
        assert created.status_code == 201

    result = await ActivityEnvironment().run(
        InventoryActivities(inventory).release, UndoInput(order_id="o-1")
    )

    assert len(result.undone) == 2
    assert set((await statuses(inventory)).values()) == {"released"}


async def test_a_reused_order_id_gets_fresh_work_and_undoes_only_its_own(
    inventory: httpx.AsyncClient,
) -> None:
    """The same order id, placed by a second workflow once the first is past retention."""
    activities = InventoryActivities(inventory)
    first = await ActivityEnvironment().run(activities.reserve, reserve(SAGA))
    again = await ActivityEnvironment().run(activities.reserve, reserve(SAGA))
    later = await ActivityEnvironment().run(activities.reserve, reserve(LATER_SAGA))

    assert again.id == first.id  # a retry of the first saga's step: the same reservation
    assert later.id != first.id  # the later saga's own work, not the first one's old answer

    undone = await ActivityEnvironment().run(
        activities.release, UndoInput(order_id="o-1", saga=LATER_SAGA)
    )

    assert undone.undone == [later.id]
    assert await statuses(inventory) == {first.id: "reserved", later.id: "released"}


async def test_an_undo_finds_nothing_when_its_step_did_nothing(
    inventory: httpx.AsyncClient,
) -> None:
    activities = InventoryActivities(inventory)
    await ActivityEnvironment().run(activities.reserve, reserve(SAGA))

    undone = await ActivityEnvironment().run(
        activities.release, UndoInput(order_id="o-1", saga=LATER_SAGA)
    )

    assert undone.undone == []
    assert list((await statuses(inventory)).values()) == ["reserved"]
