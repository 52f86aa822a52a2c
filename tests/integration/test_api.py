"""The HTTP API against the real Temporal dev server, the worker and the participant services."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from api.auth.settings import AuthSettings
from api.main import create_app
from orders.settings import Settings
from tests.integration.orders import order_body, poll
from tests.integration.participants import HAPPY_TOTAL, Participants
from tests.threadpool import thread_hops
from tests.tokens import bearer
from tools.stack.processes import free_port

PROBLEM = "application/problem+json"


async def status_of(api: httpx.AsyncClient, order_id: str) -> str:
    response = await api.get(f"/orders/{order_id}")
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


async def settled(api: httpx.AsyncClient, order_id: str) -> dict[str, Any]:
    terminal = {"COMPLETED", "FAILED", "CANCELLED", "COMPENSATION_FAILED"}

    async def done() -> bool:
        return await status_of(api, order_id) in terminal

    await poll(done, what=f"order {order_id} settled")
    body: dict[str, Any] = (await api.get(f"/orders/{order_id}")).json()
    return body


async def workflow_count(client: Client, order_id: str) -> int:
    return (await client.count_workflows(f'WorkflowId = "order-{order_id}"')).count


async def test_place_order_answers_202_and_the_order_completes(api: httpx.AsyncClient) -> None:
    body = order_body()
    response = await api.post("/orders", json=body)

    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/orders/{body['order_id']}"
    assert response.json()["status"] == "RECEIVED"

    order = await settled(api, body["order_id"])
    assert order["status"] == "COMPLETED"
    assert order["total"] == HAPPY_TOTAL and order["currency"] == "USD"
    assert [step["name"] for step in order["steps"]] == [
        "reserve_inventory",
        "charge_payment",
        "schedule_shipment",
    ]
    assert order["compensations"] == [] and order["failure"] is None
    assert order["links"]["temporal_ui"].endswith(f"/workflows/order-{body['order_id']}")


async def test_placing_and_reading_an_order_hops_to_no_thread(
    api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = order_body()
    with thread_hops(monkeypatch) as hops:
        placed = await api.post("/orders", json=body)
        read = await api.get(f"/orders/{body['order_id']}")

    assert placed.status_code == 202, placed.text
    assert read.status_code == 200, read.text
    assert hops == []


async def test_an_order_id_is_generated_when_absent(api: httpx.AsyncClient) -> None:
    body = order_body()
    del body["order_id"]
    response = await api.post("/orders", json=body)
    assert response.status_code == 202
    order_id = response.json()["order_id"]
    assert order_id and response.headers["location"] == f"/orders/{order_id}"


async def test_the_same_order_twice_is_one_order(api: httpx.AsyncClient, client: Client) -> None:
    body = order_body()
    first = await api.post("/orders", json=body)
    again = await api.post("/orders", json=body)

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["order_id"] == body["order_id"]
    assert await workflow_count(client, body["order_id"]) == 1


async def test_the_same_order_id_with_another_body_is_a_conflict(api: httpx.AsyncClient) -> None:
    body = order_body()
    assert (await api.post("/orders", json=body)).status_code == 202
    other = {**body, "items": [{"sku": "GIZMO-3", "quantity": 1}]}

    for path in ("/orders", "/orders?wait=5"):
        response = await api.post(path, json=other)
        assert response.status_code == 409, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["code"] == "order_conflict"


async def test_fifty_concurrent_posts_of_one_order_start_one_workflow(
    api: httpx.AsyncClient, client: Client, participants: Participants
) -> None:
    body = order_body()
    responses = await asyncio.gather(*(api.post("/orders", json=body) for _ in range(50)))

    assert Counter(r.status_code for r in responses) == {202: 1, 200: 49}
    await settled(api, body["order_id"])
    assert await workflow_count(client, body["order_id"]) == 1
    assert len(await participants.records("payment", body["order_id"])) == 1


@pytest.mark.parametrize(
    ("changes", "status", "compensations"),
    [
        ({}, "COMPLETED", []),
        (
            {"payment_token": "tok_chargeDeclined"},
            "FAILED",
            ["refund_payment", "release_inventory"],
        ),
    ],
    ids=["happy", "declined"],
)
async def test_wait_answers_with_the_settled_order(
    api: httpx.AsyncClient, changes: dict[str, Any], status: str, compensations: list[str]
) -> None:
    body = order_body(**changes)
    response = await api.post("/orders?wait=30", json=body)

    assert response.status_code == 200, response.text
    order = response.json()
    assert order["status"] == status
    assert [c["name"] for c in order["compensations"]] == compensations
    assert response.headers["location"] == f"/orders/{body['order_id']}"

    again = await api.post("/orders?wait=30", json=body)  # its workflow has closed by now
    assert (again.status_code, again.json()["status"]) == (200, status)


async def test_wait_shorter_than_the_order_answers_202(
    api: httpx.AsyncClient, participants: Participants
) -> None:
    await participants.hold("shipping")  # the order cannot settle within the wait
    body = order_body()
    response = await api.post("/orders?wait=0.2", json=body)

    assert response.status_code == 202, response.text
    assert response.json()["status"] not in {"COMPLETED", "FAILED", "CANCELLED"}
    await participants.release("shipping")
    assert (await settled(api, body["order_id"]))["status"] == "COMPLETED"


async def test_unknown_order_is_404(api: httpx.AsyncClient) -> None:
    for response in (
        await api.get("/orders/never-placed"),
        await api.post("/orders/never-placed/cancel"),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["code"] == "order_not_found"


async def test_cancel_in_flight_then_after_settling(
    api: httpx.AsyncClient, participants: Participants
) -> None:
    await participants.hold("shipping")
    body = order_body()
    await api.post("/orders", json=body)
    order_id = body["order_id"]

    await participants.until_held("shipping")
    response = await api.post(f"/orders/{order_id}/cancel", json={"reason": "too slow"})
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "SCHEDULING_SHIPMENT"
    await participants.release("shipping")

    order = await settled(api, order_id)
    assert order["status"] == "CANCELLED" and order["cancel_reason"] == "too slow"
    assert [c["name"] for c in order["compensations"]] == [
        "cancel_shipment",
        "refund_payment",
        "release_inventory",
    ]

    again = await api.post(f"/orders/{order_id}/cancel")
    assert again.status_code == 409
    assert again.json()["code"] == "cannot_cancel"
    assert "CANCELLED" in again.json()["detail"]


async def test_cancel_a_completed_order_is_409(api: httpx.AsyncClient) -> None:
    body = order_body()
    assert (await api.post("/orders?wait=30", json=body)).json()["status"] == "COMPLETED"
    response = await api.post(f"/orders/{body['order_id']}/cancel")
    assert response.status_code == 409
    assert response.json()["code"] == "cannot_cancel"


async def test_list_filters_by_status_and_customer_and_pages(api: httpx.AsyncClient) -> None:
    customer = f"cust-{uuid.uuid4().hex[:8]}"
    completed = [order_body(customer_id=customer) for _ in range(3)]
    failed = order_body(customer_id=customer, payment_token="tok_insufficientFunds")
    for body in [*completed, failed]:
        await api.post("/orders?wait=30", json=body)

    async def listed(query: str) -> set[str]:
        page = (await api.get(f"/orders?{query}")).json()
        return {order["order_id"] for order in page["orders"]}

    wanted = {body["order_id"] for body in completed}

    async def visible() -> bool:
        return await listed(f"customer_id={customer}&status=COMPLETED") == wanted

    await poll(visible, what="completed orders in visibility")
    assert await listed(f"customer_id={customer}&status=FAILED") == {failed["order_id"]}

    seen: list[str] = []
    token: str | None = None
    while True:
        query = f"customer_id={customer}&page_size=2" + (f"&page_token={token}" if token else "")
        page = (await api.get(f"/orders?{query}")).json()
        seen += [order["order_id"] for order in page["orders"]]
        assert all(order["customer_id"] == customer for order in page["orders"])
        token = page["next_page_token"]
        if token is None:
            break
        other_filters = await api.get(f"/orders?status=FAILED&page_size=2&page_token={token}")
        assert other_filters.status_code == 400
    assert sorted(seen) == sorted([*wanted, failed["order_id"]])


async def test_list_rejects_bad_filters(api: httpx.AsyncClient) -> None:
    for query, code in [
        ("status=SHIPPED", "validation_error"),
        ('customer_id=x"%20OR%20true', "validation_error"),
        ("page_token=%%%", "invalid_page_token"),
        ("page_token=bm90LWEtdG9rZW4=.0123456789abcdef", "invalid_page_token"),
    ]:
        response = await api.get(f"/orders?{query}")
        assert response.status_code in (400, 422), (query, response.text)
        assert response.json()["code"] == code


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"items": [{"sku": "WIDGET-1", "quantity": 0}]}, ["items.0.quantity"]),
        ({"items": [{"sku": "WIDGET-1", "quantity": 1001}]}, ["items.0.quantity"]),
        ({"items": []}, ["items"]),
        ({"items": [{"sku": "WIDGET-1", "quantity": 1}] * 101}, ["items"]),
        ({"currency": "usd"}, ["currency"]),
        ({"currency": "ABC"}, ["currency"]),
        ({"customer_id": "  "}, ["customer_id"]),
        ({"order_id": "has spaces"}, ["order_id"]),
        ({"payment_token": ""}, ["payment_token"]),
        ({"customer_email": "not-an-email"}, ["customer_email"]),
        ({"extra": 1}, ["extra"]),
        (
            {
                "shipping_address": {
                    "name": "",
                    "line1": "x",
                    "city": "y",
                    "postal_code": "1",
                    "country": "XX",
                },
                "currency": "EURO",
            },
            ["shipping_address.name", "shipping_address.country", "currency"],
        ),
    ],
)
async def test_bad_input_is_422_naming_each_field(
    api: httpx.AsyncClient, changes: dict[str, Any], fields: list[str]
) -> None:
    response = await api.post("/orders", json=order_body(**changes))

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert sorted({error["field"] for error in problem["errors"]}) == sorted(fields)


async def test_health_and_readiness(
    api: httpx.AsyncClient, client: Client, settings: Settings, auth_settings: AuthSettings
) -> None:
    assert (await api.get("/healthz")).json() == {"status": "ok", "detail": {}}
    assert (await api.get("/readyz")).status_code == 200

    unpolled = settings.model_copy(update={"task_queue": f"nobody-{uuid.uuid4().hex[:6]}"})
    app = create_app(unpolled, client=client, auth=auth_settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://a"
    ) as http:
        response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["code"] == "no_worker"


async def test_temporal_unreachable_is_503_with_a_clear_detail(
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    auth_settings: AuthSettings,
    operator_key: str,
) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", f"127.0.0.1:{free_port()}")
    app = create_app(
        settings.model_copy(update={"temporal_connect_timeout_seconds": 2.0}), auth=auth_settings
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://a", headers=bearer(operator_key)
    ) as http:
        for response in (
            await http.post("/orders", json=order_body()),
            await http.get("/orders/anything"),
            await http.get("/readyz"),
        ):
            assert response.status_code == 503
            assert response.headers["content-type"] == PROBLEM
            assert response.json()["code"] == "temporal_unavailable"
            assert "Traceback" not in response.text
        assert (await http.get("/healthz")).status_code == 200


async def test_openapi_has_an_example_for_every_schema(api: httpx.AsyncClient) -> None:
    document = (await api.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    ours = {
        name
        for name in schemas
        if name
        in {
            "OrderCreate",
            "AddressIn",
            "LineItemIn",
            "OrderPublic",
            "OrderLinks",
            "OrderSummary",
            "OrderPage",
            "CancelCreate",
            "CancelAccepted",
            "Health",
        }
    }
    assert len(ours) == 10
    assert [name for name in ours if not schemas[name].get("examples")] == []
    assert (await api.get("/docs")).status_code == 200


async def test_an_order_accepted_while_no_worker_runs_is_readable(
    client: Client, settings: Settings, auth_settings: AuthSettings, operator_key: str
) -> None:
    idle = settings.model_copy(update={"task_queue": f"idle-{uuid.uuid4().hex[:6]}"})
    app = create_app(idle, client=client, auth=auth_settings)
    body = order_body()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://a", headers=bearer(operator_key)
    ) as http:
        assert (await http.post("/orders", json=body)).status_code == 202
        response = await http.get(f"/orders/{body['order_id']}")

    assert response.status_code == 200, response.text
    order = response.json()
    assert (order["status"], order["customer_id"]) == ("RECEIVED", "cust-api")
    assert order["currency"] == "USD" and order["steps"] == []
    await client.get_workflow_handle(f"order-{body['order_id']}").terminate("test cleanup")
