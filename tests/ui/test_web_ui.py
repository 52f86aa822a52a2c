"""Orders placed through the API, inspected in the real Temporal Web UI in headless Chromium."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from api.schemas import OrderCreate
from orders.errors import ContractViolation, Undeliverable
from orders.models import LineItem
from orders.temporal import ActivityName, workflow_id
from tests.integration.orders import poll
from tests.integration.participants import Participants, new_order
from tests.stand_ins import StandIns
from tests.ui.browser import Browser
from workflows.order import OrderWorkflow

CUSTOMER = "c-42"
METADATA = "User Metadata"
"""The order page's tab with the summary, the static details and the current details."""
SETTLED = {"COMPLETED", "FAILED", "CANCELLED", "COMPENSATION_FAILED"}


@dataclass(frozen=True)
class Placed:
    order_id: str
    page: str
    """The order's page in the Web UI, as the API links it."""
    body: dict[str, Any]


@dataclass(frozen=True)
class Orders:
    completed: Placed
    declined: Placed
    cancelled: Placed


async def _status(api: httpx.AsyncClient, order_id: str) -> dict[str, Any]:
    response = await api.get(f"/orders/{order_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _place(api: httpx.AsyncClient, **changes: Any) -> str:
    order = new_order(customer_id=CUSTOMER, order_id=f"ui-{uuid.uuid4().hex[:8]}", **changes)
    body = order.model_dump(mode="json", exclude_none=True, include=set(OrderCreate.model_fields))
    response = await api.post("/orders", json=body)
    assert response.status_code == 202, response.text
    return order.order_id


async def _settled(api: httpx.AsyncClient, order_id: str) -> Placed:
    async def done() -> bool:
        return (await _status(api, order_id))["status"] in SETTLED

    await poll(done, what=f"order {order_id} settled")
    body = await _status(api, order_id)
    return Placed(order_id, body["links"]["temporal_ui"], body)


async def _cancelled_in_flight(api: httpx.AsyncClient, participants: Participants) -> str:
    """Cancelled while its shipment is held: everything done so far is undone."""
    await participants.hold("shipping")
    try:
        order_id = await _place(api)
        await participants.until_held("shipping")
        response = await api.post(f"/orders/{order_id}/cancel", json={"reason": "changed mind"})
        assert response.status_code == 202, response.text
    finally:
        await participants.reset_faults()
    await _settled(api, order_id)
    return order_id


@pytest.fixture(scope="module")
async def orders(api: httpx.AsyncClient, participants: Participants) -> Orders:
    """A completed, a declined (compensated) and a cancelled order of one customer."""
    completed = await _place(api, items=[LineItem(sku="WIDGET-1", quantity=2)])
    declined = await _place(api, payment_token="tok_chargeDeclined")
    cancelled = await _cancelled_in_flight(api, participants)
    placed = Orders(
        completed=await _settled(api, completed),
        declined=await _settled(api, declined),
        cancelled=await _settled(api, cancelled),
    )
    assert [placed.completed.body["status"], placed.declined.body["status"]] == [
        "COMPLETED",
        "FAILED",
    ]
    assert placed.cancelled.body["status"] == "CANCELLED"
    return placed


def list_url(page: str, query: str) -> str:
    """The Web UI's workflow list of the order's namespace, filtered by a visibility query."""
    namespace_workflows = page.rsplit("/", 1)[0]
    return f"{namespace_workflows}?query={quote(query)}"


async def look(browser: Browser, url: str, texts: list[str], tab: str | None = None) -> str:
    """The page's text once it shows `texts`; the browser runs in a thread, as the worker that
    answers the UI's queries runs on this event loop."""
    return await asyncio.to_thread(browser.text_appears, url, texts, tab=tab)


async def shot(browser: Browser, path: Path) -> None:
    await asyncio.to_thread(browser.screenshot, path)


async def test_a_completed_order_is_listed_under_its_status(
    browser: Browser, orders: Orders, artifacts: Path
) -> None:
    url = list_url(orders.completed.page, f'OrderStatus="COMPLETED" AND CustomerId="{CUSTOMER}"')
    page = await look(browser, url, [f"order-{orders.completed.order_id}"])
    assert f"order-{orders.declined.order_id}" not in page
    assert f"order-{orders.cancelled.order_id}" not in page
    await shot(browser, artifacts / "list-completed.png")


async def test_a_completed_order_shows_its_summary_and_current_details(
    browser: Browser, orders: Orders, artifacts: Path
) -> None:
    order_id = orders.completed.order_id
    await look(browser, orders.completed.page, ["charge_payment • Charge 30.00 USD"])
    await look(
        browser,
        orders.completed.page,
        [
            f"Order {order_id} · customer {CUSTOMER} · 2 x WIDGET-1 (2 items)",
            f"COMPLETED · 2 x WIDGET-1 (2 items) · 30.00 USD · customer {CUSTOMER}",
            "Waiting on: nothing, the order is settled",
        ],
        tab=METADATA,
    )
    await shot(browser, artifacts / "order-completed.png")


async def test_a_declined_order_shows_its_summary_and_compensations(
    browser: Browser, orders: Orders, artifacts: Path
) -> None:
    order_id = orders.declined.order_id
    # The timeline names each activity and its summary; the current details give their order.
    await look(
        browser,
        orders.declined.page,
        [
            "charge_payment • Charge 75.00 USD",
            "refund_payment • Refund any charge of the order",
            "release_inventory • Release reservation res_",
        ],
    )
    await asyncio.to_thread(browser.scroll_to, "refund_payment •")
    await shot(browser, artifacts / "order-compensated-timeline.png")
    await look(
        browser,
        orders.declined.page,
        [
            f"Order {order_id} · customer {CUSTOMER}",
            "FAILED · 2 x WIDGET-1, 1 x GADGET-2 (3 items) · 75.00 USD",
            "Failed at charge_payment: PaymentDeclined",
            "Compensations ran: ✓ refund_payment — nothing to undo, ✓ release_inventory — undid",
        ],
        tab=METADATA,
    )
    await shot(browser, artifacts / "order-compensated.png")


async def test_a_cancelled_order_shows_what_was_undone(
    browser: Browser, orders: Orders, artifacts: Path
) -> None:
    order_id = orders.cancelled.order_id
    await look(
        browser,
        orders.cancelled.page,
        ["cancel_shipment • Cancel shipment shp_", "refund_payment • Refund ch_"],
    )
    await look(
        browser,
        orders.cancelled.page,
        [
            f"Order {order_id} · customer {CUSTOMER}",
            "CANCELLED · ",
            "Cancel requested: changed mind",
            "Compensations ran: ✓ cancel_shipment — undid shp_",
        ],
        tab=METADATA,
    )
    await shot(browser, artifacts / "order-cancelled.png")


async def test_an_order_an_operator_finished_says_who_did_what(
    browser: Browser, api: httpx.AsyncClient, client: Client, artifacts: Path
) -> None:
    """Its refund refused for good, then recorded as done by hand through the API."""
    stand_ins = StandIns(
        refusals={
            ActivityName.SCHEDULE_SHIPMENT: Undeliverable(
                "we do not ship there", {"country": "AQ"}
            ),
            ActivityName.REFUND_PAYMENT: ContractViolation("refund window closed", {"status": 400}),
        }
    )
    order = new_order(customer_id=CUSTOMER, order_id=f"ui-{uuid.uuid4().hex[:8]}")
    task_queue = f"ui-stand-ins-{uuid.uuid4().hex[:8]}"
    # The Web UI asks a worker of the order's task queue for its details: keep one running.
    async with Worker(
        client, task_queue=task_queue, workflows=[OrderWorkflow], activities=stand_ins.all()
    ):
        handle = await client.start_workflow(
            OrderWorkflow.run, order, id=workflow_id(order.order_id), task_queue=task_queue
        )

        async def left_to_an_operator() -> bool:
            status: str = (await _status(api, order.order_id))["status"]
            return status == "COMPENSATION_FAILED"

        await poll(left_to_an_operator, what="left to an operator")
        finished = await api.post(
            f"/orders/{order.order_id}/finish",
            json={"action": "by_hand", "note": "refunded in the PSP dashboard"},
        )
        assert finished.status_code == 202, finished.text
        await handle.result()
        page = (await _status(api, order.order_id))["links"]["temporal_ui"]
        await look(
            browser,
            page,
            [
                "FAILED · ",
                "Compensations ran: ✓ cancel_shipment — nothing to undo, ✗ refund_payment",
                "finished refund_payment by hand",
                "refunded in the PSP dashboard",  # in the Markdown's typographic quotes
            ],
            tab=METADATA,
        )
        await shot(browser, artifacts / "order-finished-by-hand.png")
