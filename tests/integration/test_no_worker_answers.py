"""While no worker runs, the API still answers as it says: another body under an order's id or
key is a conflict, and a wait answers within its wait and one quick read of the order.

Both are defects the protocol model found: the wait path left the fingerprint to the workflow's
`settled` validator, which only a worker runs; and a query the server timed out was retried by
the SDK, each try given the whole timeout again. And a short wait that ran out before its
update-with-start was answered read an order not placed yet: a 404 (the API now starts the
order first).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from temporalio.client import Client

from api.auth.settings import AuthSettings
from api.main import create_app
from api.views import QUICK_QUERY
from orders.settings import Settings
from tests.integration.orders import order_body, poll
from tests.tokens import bearer
from workers.orchestrator import running_worker

WAITS = 80
"""Waits at once: about one in ten meets a retried query, so some do whenever it is unfixed."""
ANSWER_SLACK = 3.5
"""Room for a loaded machine (80 requests on one event loop; one answered in 5.7 s at a load
of 8 on two cores). The defect this pins answers in
7 to 10 s (the SDK retries a timed-out query, giving each try its whole timeout), so a bound of
the wait, one quick read and this slack still catches it, without racing the machine's load."""


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


async def _complete(
    api: httpx.AsyncClient, client: Client, settings: Settings, order_ids: list[str]
) -> None:
    """A worker at last, so that the orders complete rather than run on in the session."""

    async def completed() -> bool:
        for order_id in order_ids:
            if (await api.get(f"/orders/{order_id}")).json()["status"] != "COMPLETED":
                return False
        return True

    async with running_worker(client, settings):
        await poll(completed, what=f"{len(order_ids)} orders completed", within=120)


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
        await _complete(api, client, settings, [placed.json()["order_id"]])

    want = (409, "order_conflict") if naming == "order_id" else (422, "idempotency_key_reused")
    assert (plain.status_code, plain.json()["code"]) == want, plain.text  # holds today
    assert (waited.status_code, waited.json().get("code")) == want, waited.text


async def test_with_no_worker_a_wait_answers_within_its_wait_and_one_quick_read(
    no_worker: tuple[httpx.AsyncClient, Settings], client: Client
) -> None:
    api, settings = no_worker

    async def wait_on_a_new_order() -> tuple[float, str]:
        started = time.monotonic()
        answer = await api.post("/orders?wait=0.5", json=order_body())
        assert answer.status_code == 202, answer.text
        return time.monotonic() - started, answer.json()["order_id"]

    answers = await asyncio.gather(*(wait_on_a_new_order() for _ in range(WAITS)))
    await _complete(api, client, settings, [order_id for _, order_id in answers])

    bound = 0.5 + QUICK_QUERY.total_seconds() + ANSWER_SLACK
    late = sorted(round(elapsed, 1) for elapsed, _ in answers if elapsed > bound)
    assert not late, f"{len(late)} of {WAITS} waits answered past {bound}s: {late}"
