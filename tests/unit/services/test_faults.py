"""Fault injection: errors before the work, failure after commit, latency, a hold."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.integration.orders import poll

from .helpers import (
    Service,
    assert_problem,
    charge_request,
    reservation_request,
    shipment_request,
    stock_of,
)

# service fixture -> (collection path, a valid create request)
CREATES: dict[str, tuple[str, dict[str, Any]]] = {
    "inventory": ("/reservations", reservation_request("o-1", ("WIDGET-1", 3))),
    "payment": ("/charges", charge_request("o-1")),
    "shipping": ("/shipments", shipment_request("o-1")),
}
KEY = {"Idempotency-Key": "order-o-1:step"}


async def test_faults_are_off_by_default_and_echoed(inventory: httpx.AsyncClient) -> None:
    default = {
        "error_rate": 0.0,
        "latency_ms": 0,
        "fail_after_commit": False,
        "hold": False,
        "held": 0,
    }
    assert (await inventory.get("/admin/faults")).json() == default

    set_response = await inventory.post("/admin/faults", json={"latency_ms": 5})

    assert set_response.status_code == 200
    assert set_response.json() == {**default, "latency_ms": 5}
    assert (await inventory.get("/admin/faults")).json() == {**default, "latency_ms": 5}
    # Latency delays requests but does not fail them.
    assert (await inventory.get("/products")).status_code == 200
    assert (await inventory.delete("/admin/faults")).status_code == 204
    assert (await inventory.get("/admin/faults")).json() == default


async def test_invalid_faults_are_refused(inventory: httpx.AsyncClient) -> None:
    response = await inventory.post("/admin/faults", json={"error_rate": 1.5, "latency_ms": -1})

    body = assert_problem(response, 422, "validation_error")
    assert sorted(e["field"] for e in body["errors"]) == ["error_rate", "latency_ms"]


async def test_error_rate_fails_before_any_work(any_service: Service) -> None:
    client = any_service.client
    path, create = CREATES[any_service.name]
    await client.post("/admin/faults", json={"error_rate": 1.0})

    failed = await client.post(path, json=create, headers=KEY)
    failed_read = await client.get(path)
    health = await client.get("/healthz")

    assert_problem(failed, 503, "injected_fault")
    assert_problem(failed_read, 503, "injected_fault")
    assert health.status_code == 200
    await client.delete("/admin/faults")
    assert (await client.get(path, params={"order_id": "o-1"})).json() == []
    # The 503 was not stored: the same key now does the work.
    retried = await client.post(path, json=create, headers=KEY)
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried.headers


async def test_error_rate_leaves_stock_alone(inventory: httpx.AsyncClient) -> None:
    await inventory.post("/admin/faults", json={"error_rate": 1.0})

    failed = await inventory.post("/reservations", json=CREATES["inventory"][1])

    assert failed.status_code == 503
    await inventory.delete("/admin/faults")
    assert await stock_of(inventory, "WIDGET-1") == 1000


async def test_fail_after_commit_keeps_the_work_and_a_retry_recovers(any_service: Service) -> None:
    client = any_service.client
    path, create = CREATES[any_service.name]
    await client.post("/admin/faults", json={"fail_after_commit": True})

    failed = await client.post(path, json=create, headers=KEY)
    listed = (await client.get(path, params={"order_id": "o-1"})).json()
    retried = await client.post(path, json=create, headers=KEY)

    assert_problem(failed, 503, "injected_fault_after_commit")
    assert len(listed) == 1
    assert retried.status_code == 201
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json()["id"] == listed[0]["id"]
    assert (await client.get(path, params={"order_id": "o-1"})).json() == listed


async def test_fail_after_commit_takes_stock_once(inventory: httpx.AsyncClient) -> None:
    await inventory.post("/admin/faults", json={"fail_after_commit": True})
    path, create = CREATES["inventory"]

    await inventory.post(path, json=create, headers=KEY)
    await inventory.post(path, json=create, headers=KEY)

    assert await stock_of(inventory, "WIDGET-1") == 997


async def test_fail_after_commit_spares_requests_that_change_nothing(
    inventory: httpx.AsyncClient,
) -> None:
    created = await inventory.post("/reservations", json=CREATES["inventory"][1])
    release = f"/reservations/{created.json()['id']}/release"
    await inventory.post("/admin/faults", json={"fail_after_commit": True})

    first = await inventory.post(release)
    again = await inventory.post(release)
    rejected = await inventory.post("/reservations", json=reservation_request("o-2", ("RARE-9", 1)))

    assert_problem(first, 503, "injected_fault_after_commit")
    assert again.status_code == 200
    assert again.json()["status"] == "released"
    assert_problem(rejected, 409, "out_of_stock")
    assert await stock_of(inventory, "WIDGET-1") == 1000


async def _held(client: httpx.AsyncClient) -> int:
    held: int = (await client.get("/admin/faults")).json()["held"]
    return held


async def _holds(client: httpx.AsyncClient, count: int) -> bool:
    return await _held(client) >= count


async def test_a_hold_keeps_requests_waiting_until_it_is_lifted(any_service: Service) -> None:
    client = any_service.client
    path, create = CREATES[any_service.name]
    await client.post("/admin/faults", json={"hold": True})

    request = asyncio.ensure_future(client.post(path, json=create, headers=KEY))
    await poll(lambda: _holds(client, 1), what="the request held")
    assert not request.done()
    # Held before any work: nothing is written while the request waits.
    assert (await client.get("/healthz")).status_code == 200
    listed_while_held = asyncio.ensure_future(client.get(path, params={"order_id": "o-1"}))
    await poll(lambda: _holds(client, 2), what="the read held too")

    lifted = await client.post("/admin/faults", json={})

    assert lifted.json()["hold"] is False
    assert (await request).status_code == 201
    assert (await listed_while_held).status_code == 200
    assert await _held(client) == 0


async def test_clearing_the_faults_lifts_a_hold(inventory: httpx.AsyncClient) -> None:
    await inventory.post("/admin/faults", json={"hold": True})
    request = asyncio.ensure_future(inventory.get("/products"))
    await poll(lambda: _holds(inventory, 1), what="the request held")

    await inventory.delete("/admin/faults")

    assert (await request).status_code == 200
