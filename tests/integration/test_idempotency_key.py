"""`Idempotency-Key` on `POST /orders`: a body without `order_id` made safe to retry.

Same key and body: one order, answered again; same key, other body: a 422 problem; the key is a
customer's own, so two customers' keys never meet.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from tests.integration.orders import order_body
from tests.integration.participants import Participants

pytestmark = pytest.mark.usefixtures("worker")


def keyless_body(**changes: Any) -> dict[str, Any]:
    body = order_body(**changes)
    del body["order_id"]
    return body


def key() -> dict[str, str]:
    return {"Idempotency-Key": f"test-{uuid.uuid4()}"}


async def workflows(client: Client, order_id: str) -> int:
    return (await client.count_workflows(f'WorkflowId = "order-{order_id}"')).count


async def test_the_same_key_and_body_place_one_order_answered_again(
    api: httpx.AsyncClient, client: Client
) -> None:
    body, headers = keyless_body(), key()

    first = await api.post("/orders", json=body, headers=headers)
    again = await api.post("/orders", json=body, headers=headers)

    assert first.status_code == 202, first.text
    assert again.status_code == 200, again.text
    order_id = first.json()["order_id"]
    assert again.json()["order_id"] == order_id
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert await workflows(client, order_id) == 1


async def test_fifty_concurrent_retries_of_one_key_charge_once(
    api: httpx.AsyncClient, participants: Participants
) -> None:
    body, headers = keyless_body(), key()

    answers = await asyncio.gather(
        *(api.post("/orders?wait=10", json=body, headers=headers) for _ in range(25)),
        *(api.post("/orders", json=body, headers=headers) for _ in range(25)),
    )

    assert {answer.status_code for answer in answers} <= {200, 202}
    [order_id] = Counter(answer.json()["order_id"] for answer in answers)
    charges = await participants.records("payment", order_id)
    assert len(charges) == 1


async def test_the_same_key_with_another_body_is_a_422(api: httpx.AsyncClient) -> None:
    body, headers = keyless_body(), key()
    assert (await api.post("/orders", json=body, headers=headers)).status_code == 202

    other = keyless_body(items=[{"sku": "WIDGET-1", "quantity": 9}])
    for path in ("/orders", "/orders?wait=5"):
        refused = await api.post(path, json=other, headers=headers)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "idempotency_key_reused"


async def test_a_key_is_its_customers_own(api: httpx.AsyncClient) -> None:
    headers = key()
    mine = await api.post("/orders", json=keyless_body(customer_id="cust-a"), headers=headers)
    theirs = await api.post("/orders", json=keyless_body(customer_id="cust-b"), headers=headers)

    assert mine.status_code == theirs.status_code == 202
    assert mine.json()["order_id"] != theirs.json()["order_id"]


async def test_a_body_with_an_order_id_is_named_by_it_whatever_the_key(
    api: httpx.AsyncClient,
) -> None:
    body = order_body()
    first = await api.post("/orders", json=body, headers=key())
    again = await api.post("/orders", json=body, headers=key())

    assert first.json()["order_id"] == again.json()["order_id"] == body["order_id"]
    assert again.status_code == 200


async def test_without_a_key_or_an_id_each_post_is_a_new_order(api: httpx.AsyncClient) -> None:
    body = keyless_body()
    first = await api.post("/orders", json=body)
    second = await api.post("/orders", json=body)
    assert first.json()["order_id"] != second.json()["order_id"]


@pytest.mark.parametrize("bad", ["", "with space", "x" * 256, "naïve"])
async def test_a_malformed_key_is_a_422_naming_the_header(api: httpx.AsyncClient, bad: str) -> None:
    response = await api.post(
        "/orders", json=keyless_body(), headers={b"Idempotency-Key": bad.encode()}
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"
    assert [error["location"] for error in response.json()["errors"]] == ["header"]
