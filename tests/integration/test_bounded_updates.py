"""However many clients wait on an order, and whether or not a worker is up, the API answers
each within its wait with no 5xx but a 503 that says when to retry, and a customer's cancel is
never crowded out: the server admits at most 10 updates in flight per workflow."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import Client

from api.auth.settings import AuthSettings
from api.main import create_app
from orders.settings import Settings
from tests.integration.orders import order_body, poll
from tests.integration.participants import Participants
from tests.tokens import bearer
from workers.orchestrator import running_worker

pytestmark = pytest.mark.usefixtures("worker")

ANSWER_SLACK = 5.0
"""Seconds an answer may take past its wait: one read of the order, on a loaded machine."""


async def _status(api: httpx.AsyncClient, order_id: str) -> str:
    status: str = (await api.get(f"/orders/{order_id}")).json()["status"]
    return status


async def _timed(request: asyncio.Future[httpx.Response] | object) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    assert asyncio.iscoroutine(request)
    response: httpx.Response = await request
    return response, time.monotonic() - started


async def _placed_with_shipping_held(
    api: httpx.AsyncClient, participants: Participants
) -> dict[str, Any]:
    """An order placed and held at its shipment, until the test releases shipping."""
    await participants.hold("shipping")
    body = order_body()
    assert (await api.post("/orders", json=body)).status_code == 202
    await participants.until_held("shipping")
    return body


async def test_fifty_waiting_resubmits_leave_room_for_the_customers_cancel(
    api: httpx.AsyncClient, participants: Participants
) -> None:
    body = await _placed_with_shipping_held(api, participants)

    answers = await asyncio.gather(
        *(_timed(api.post("/orders?wait=1", json=body)) for _ in range(50))
    )

    assert Counter(response.status_code for response, _ in answers) == {202: 50}
    assert max(elapsed for _, elapsed in answers) <= 1 + ANSWER_SLACK
    cancel = await api.post(f"/orders/{body['order_id']}/cancel", json={"reason": "too slow"})
    assert cancel.status_code == 202, cancel.text
    await participants.release("shipping")
    await poll(lambda: _cancelled(api, body["order_id"]), what="the order cancelled", within=60)


async def _cancelled(api: httpx.AsyncClient, order_id: str) -> bool:
    return await _status(api, order_id) == "CANCELLED"


async def test_waiting_resubmits_and_cancels_while_waits_are_in_flight_never_answer_5xx(
    api: httpx.AsyncClient, participants: Participants
) -> None:
    body = await _placed_with_shipping_held(api, participants)
    cancel = f"/orders/{body['order_id']}/cancel"

    answers = await asyncio.gather(
        *(api.post("/orders?wait=2", json=body) for _ in range(14)),
        *(api.post(cancel) for _ in range(5)),
    )

    assert Counter(response.status_code for response in answers) == {202: 19}
    await participants.release("shipping")
    await poll(lambda: _cancelled(api, body["order_id"]), what="the order cancelled", within=60)


@pytest.fixture
async def no_worker_api(
    client: Client, settings: Settings, auth_settings: AuthSettings, operator_key: str
) -> AsyncIterator[tuple[httpx.AsyncClient, Settings]]:
    """The API on a task queue no worker polls (yet): the worker is down."""
    queue = f"no-worker-{uuid.uuid4().hex[:8]}"
    down = settings.model_copy(update={"task_queue": queue})
    app: FastAPI = create_app(down, client=client, auth=auth_settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://api",
        headers=bearer(operator_key),
    ) as http:
        yield http, down


async def test_with_no_worker_a_wait_answers_202_and_a_cancel_503_then_both_recover(
    no_worker_api: tuple[httpx.AsyncClient, Settings],
    client: Client,
    participants: Participants,
) -> None:
    api, settings = no_worker_api
    body = order_body()
    cancel = f"/orders/{body['order_id']}/cancel"

    placed, elapsed = await _timed(api.post("/orders?wait=1", json=body))
    assert placed.status_code == 202, placed.text
    assert placed.json()["status"] == "RECEIVED"
    assert elapsed <= 1 + ANSWER_SLACK
    again = await api.post("/orders?wait=1", json=body)
    assert again.status_code == 202, again.text
    refused = await api.post(cancel)
    assert refused.status_code == 503, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "worker_unavailable"
    assert int(refused.headers["Retry-After"]) >= 1

    await participants.hold("inventory")  # so the cancel lands before the order completes
    async with running_worker(client, settings):
        retried = await api.post(cancel)
        assert retried.status_code == 202, retried.text
        await participants.release("inventory")
        await poll(lambda: _cancelled(api, body["order_id"]), what="cancelled", within=60)
