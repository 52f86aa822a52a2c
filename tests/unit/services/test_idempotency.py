"""Idempotency-Key: the work is done once, retries get the first response."""

from __future__ import annotations

import asyncio
import json

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.idempotency import IdempotencyRecord, Idempotent
from services.inventory import reservations
from services.inventory.schemas import ReservationCreate
from tests.databases import Databases

from .helpers import APPS, assert_problem, reservation_request, serve_in_process, stock_of

KEY = {"Idempotency-Key": "order-o-1:reserve_inventory"}


async def test_same_key_twice_replays_the_first_response(inventory: httpx.AsyncClient) -> None:
    request = reservation_request("o-1", ("WIDGET-1", 4))

    first = await inventory.post("/reservations", json=request, headers=KEY)
    second = await inventory.post("/reservations", json=request, headers=KEY)

    assert first.status_code == second.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert await stock_of(inventory, "WIDGET-1") == 996
    assert len((await inventory.get("/reservations", params={"order_id": "o-1"})).json()) == 1


async def test_same_key_with_another_body_is_refused(inventory: httpx.AsyncClient) -> None:
    await inventory.post(
        "/reservations", json=reservation_request("o-1", ("WIDGET-1", 4)), headers=KEY
    )

    response = await inventory.post(
        "/reservations", json=reservation_request("o-1", ("WIDGET-1", 5)), headers=KEY
    )

    assert_problem(response, 422, "idempotency_key_reused")
    assert await stock_of(inventory, "WIDGET-1") == 996


async def test_same_key_on_another_path_is_refused(inventory: httpx.AsyncClient) -> None:
    created = await inventory.post(
        "/reservations", json=reservation_request("o-1", ("WIDGET-1", 4)), headers=KEY
    )

    response = await inventory.post(f"/reservations/{created.json()['id']}/release", headers=KEY)

    assert_problem(response, 422, "idempotency_key_reused")
    assert await stock_of(inventory, "WIDGET-1") == 996


async def test_concurrent_requests_with_one_key_do_the_work_once(
    inventory: httpx.AsyncClient,
) -> None:
    request = reservation_request("o-1", ("GIZMO-3", 2))

    responses = await asyncio.gather(
        *(inventory.post("/reservations", json=request, headers=KEY) for _ in range(20))
    )

    assert [r.status_code for r in responses] == [201] * 20
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 19
    assert len((await inventory.get("/reservations", params={"order_id": "o-1"})).json()) == 1
    assert await stock_of(inventory, "GIZMO-3") == 998


async def test_a_rejection_is_replayed_even_once_it_would_succeed(
    inventory: httpx.AsyncClient,
) -> None:
    request = reservation_request("o-1", ("RARE-9", 1))
    first = await inventory.post("/reservations", json=request, headers=KEY)
    await inventory.put("/admin/stock/RARE-9", json={"quantity": 5})

    second = await inventory.post("/reservations", json=request, headers=KEY)

    assert_problem(first, 409, "out_of_stock")
    assert_problem(second, 409, "out_of_stock")
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert await stock_of(inventory, "RARE-9") == 5


async def test_an_invalid_request_does_not_burn_the_key(inventory: httpx.AsyncClient) -> None:
    invalid = await inventory.post("/reservations", json={"order_id": "o-1"}, headers=KEY)
    valid = await inventory.post(
        "/reservations", json=reservation_request("o-1", ("WIDGET-1", 1)), headers=KEY
    )

    assert_problem(invalid, 422, "validation_error")
    assert valid.status_code == 201
    assert "Idempotent-Replayed" not in valid.headers


async def test_release_under_a_key_is_replayed(inventory: httpx.AsyncClient) -> None:
    created = await inventory.post(
        "/reservations", json=reservation_request("o-1", ("WIDGET-1", 4))
    )
    path = f"/reservations/{created.json()['id']}/release"
    release_key = {"Idempotency-Key": "order-o-1:release_inventory"}

    first = await inventory.post(path, headers=release_key)
    second = await inventory.post(path, headers=release_key)

    assert first.status_code == second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert await stock_of(inventory, "WIDGET-1") == 1000


async def test_an_overlong_key_is_invalid(inventory: httpx.AsyncClient) -> None:
    response = await inventory.post(
        "/reservations",
        json=reservation_request("o-1", ("WIDGET-1", 1)),
        headers={"Idempotency-Key": "k" * 256},
    )

    body = assert_problem(response, 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == ["Idempotency-Key"]
    assert await stock_of(inventory, "WIDGET-1") == 1000


class _RacingIdempotent(Idempotent):
    """Misses the stored key, as a transaction that started before the first one committed does
    on PostgreSQL: only the key's unique constraint stops it."""

    async def _find(self, session: AsyncSession) -> IdempotencyRecord | None:
        return None


async def test_a_request_that_loses_the_race_rolls_back_and_replays(
    databases: Databases,
) -> None:
    app = APPS["inventory"](await databases.url("inventory"))
    request = reservation_request("o-1", ("WIDGET-1", 4))
    async with serve_in_process(app) as client:
        first = await client.post("/reservations", json=request, headers=KEY)
        db = app.state.db
        racer = _RacingIdempotent(db, "POST", "/reservations", KEY["Idempotency-Key"])
        body = ReservationCreate.model_validate(request)

        response = await racer.run(
            body, lambda session: reservations.reserve(session, body), status_code=201
        )

        assert response.status_code == 201
        assert response.headers["Idempotent-Replayed"] == "true"
        assert json.loads(bytes(response.body)) == first.json()
        assert await stock_of(client, "WIDGET-1") == 996
        listed = await client.get("/reservations", params={"order_id": "o-1"})
        assert len(listed.json()) == 1
