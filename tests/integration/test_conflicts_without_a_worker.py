"""Another body under an order's id or key is a conflict whether or not a worker is up.

Found by the protocol model: a `?wait=` submission left the fingerprint to the workflow's
`settled` validator, which only a worker runs, so with none it answered 202 with the first order.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from temporalio.client import Client

from api.auth.settings import AuthSettings
from api.main import create_app
from orders.settings import Settings
from tests.integration.orders import order_body, poll
from tests.tokens import bearer
from workers.orchestrator import running_worker


@pytest.fixture
async def no_worker(
    client: Client, settings: Settings, auth_settings: AuthSettings, operator_key: str
) -> AsyncIterator[tuple[httpx.AsyncClient, Settings]]:
    """The API on a task queue no worker polls until the test starts one: the worker is down."""
    down = settings.model_copy(update={"task_queue": f"no-worker-{uuid.uuid4().hex[:8]}"})
    app = create_app(down, client=client, auth=auth_settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api", headers=bearer(operator_key)
    ) as http:
        yield http, down


async def _settle(
    api: httpx.AsyncClient, client: Client, settings: Settings, order_id: str
) -> None:
    """A worker at last, so that the order completes rather than runs on in the session."""

    async def settled() -> bool:
        status: str = (await api.get(f"/orders/{order_id}")).json()["status"]
        return status == "COMPLETED"

    async with running_worker(client, settings):
        await poll(settled, what=f"order {order_id} completed", within=60)


@pytest.mark.parametrize("naming", ["order_id", "Idempotency-Key"])
async def test_another_body_waited_on_with_no_worker_is_a_conflict(
    no_worker: tuple[httpx.AsyncClient, Settings], client: Client, naming: str
) -> None:
    api, settings = no_worker
    body, headers = order_body(), {}
    if naming == "Idempotency-Key":
        del body["order_id"]
        headers = {"Idempotency-Key": f"test-{uuid.uuid4()}"}
    placed = await api.post("/orders", json=body, headers=headers)
    assert placed.status_code == 202, placed.text
    other = {**body, "items": [{"sku": "WIDGET-1", "quantity": 9}]}
    try:
        plain = await api.post("/orders", json=other, headers=headers)
        waited = await api.post("/orders?wait=1", json=other, headers=headers)
    finally:
        await _settle(api, client, settings, placed.json()["order_id"])

    want = (409, "order_conflict") if naming == "order_id" else (422, "idempotency_key_reused")
    assert (plain.status_code, plain.json()["code"]) == want, plain.text  # holds today
    assert (waited.status_code, waited.json().get("code")) == want, waited.text
