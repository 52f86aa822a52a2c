"""Inventory: the catalog, reserving and releasing stock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx

from .helpers import assert_problem, reservation_request, stock_of


async def test_catalog_is_seeded(inventory: httpx.AsyncClient) -> None:
    response = await inventory.get("/products")

    assert response.status_code == 200
    products = {p["sku"]: p for p in response.json()}
    assert products["WIDGET-1"] == {
        "sku": "WIDGET-1",
        "name": products["WIDGET-1"]["name"],
        "unit_price": 1500,
        "currency": "USD",
        "stock": 1000,
    }
    assert (products["GADGET-2"]["unit_price"], products["GADGET-2"]["stock"]) == (4500, 1000)
    assert (products["GIZMO-3"]["unit_price"], products["GIZMO-3"]["stock"]) == (999, 1000)
    assert (products["RARE-9"]["unit_price"], products["RARE-9"]["stock"]) == (25000, 0)
    assert {p["currency"] for p in products.values()} == {"USD"}


async def test_reserve_prices_lines_sums_duplicates_and_takes_stock(
    inventory: httpx.AsyncClient,
) -> None:
    request = reservation_request("o-1", ("WIDGET-1", 2), ("GIZMO-3", 3), ("WIDGET-1", 1))

    response = await inventory.post("/reservations", json=request)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"].startswith("res_")
    assert body["order_id"] == "o-1"
    assert body["status"] == "reserved"
    assert body["lines"] == [
        {"sku": "GIZMO-3", "quantity": 3, "unit_price": 999, "line_total": 2997},
        {"sku": "WIDGET-1", "quantity": 3, "unit_price": 1500, "line_total": 4500},
    ]
    assert body["total"] == 7497
    assert body["currency"] == "USD"
    assert body["released_at"] is None
    created = datetime.fromisoformat(body["created_at"])
    assert created.utcoffset() is not None and created.utcoffset() == UTC.utcoffset(None)
    assert await stock_of(inventory, "WIDGET-1") == 997
    assert await stock_of(inventory, "GIZMO-3") == 997
    assert (await inventory.get(f"/reservations/{body['id']}")).json() == body
    assert (await inventory.get("/reservations", params={"order_id": "o-1"})).json() == [body]
    assert (await inventory.get("/reservations", params={"order_id": "other"})).json() == []


async def test_reserve_with_the_catalog_currency(inventory: httpx.AsyncClient) -> None:
    request = {**reservation_request("o-1", ("GADGET-2", 1)), "currency": "USD"}

    response = await inventory.post("/reservations", json=request)

    assert response.status_code == 201
    assert response.json()["total"] == 4500


async def test_out_of_stock_names_every_short_sku_and_takes_nothing(
    inventory: httpx.AsyncClient,
) -> None:
    put = await inventory.put("/admin/stock/GADGET-2", json={"quantity": 1})
    assert put.json()["stock"] == 1
    request = reservation_request("o-1", ("WIDGET-1", 1), ("GADGET-2", 2), ("RARE-9", 1))

    response = await inventory.post("/reservations", json=request)

    body = assert_problem(response, 409, "out_of_stock")
    assert body["skus"] == ["GADGET-2", "RARE-9"]
    assert await stock_of(inventory, "WIDGET-1") == 1000
    assert await stock_of(inventory, "GADGET-2") == 1
    assert (await inventory.get("/reservations", params={"order_id": "o-1"})).json() == []


async def test_unknown_skus_are_named(inventory: httpx.AsyncClient) -> None:
    request = reservation_request("o-1", ("ZZZ-0", 1), ("WIDGET-1", 1), ("NOPE-1", 2))

    response = await inventory.post("/reservations", json=request)

    body = assert_problem(response, 422, "unknown_sku")
    assert body["skus"] == ["NOPE-1", "ZZZ-0"]
    assert await stock_of(inventory, "WIDGET-1") == 1000


async def test_other_currency_is_unsupported(inventory: httpx.AsyncClient) -> None:
    request = {**reservation_request("o-1", ("WIDGET-1", 1)), "currency": "EUR"}

    response = await inventory.post("/reservations", json=request)

    assert assert_problem(response, 422, "unsupported_currency")["currency"] == "EUR"
    assert await stock_of(inventory, "WIDGET-1") == 1000


async def test_release_restores_stock_once(inventory: httpx.AsyncClient) -> None:
    created = await inventory.post(
        "/reservations", json=reservation_request("o-1", ("WIDGET-1", 5), ("GIZMO-3", 2))
    )
    reservation_id = created.json()["id"]
    assert await stock_of(inventory, "WIDGET-1") == 995

    first = await inventory.post(f"/reservations/{reservation_id}/release")
    second = await inventory.post(f"/reservations/{reservation_id}/release")

    assert first.status_code == 200
    assert first.json()["status"] == "released"
    assert first.json()["released_at"] is not None
    assert first.json()["lines"] == created.json()["lines"]
    assert second.status_code == 200
    assert second.json() == first.json()
    assert await stock_of(inventory, "WIDGET-1") == 1000
    assert await stock_of(inventory, "GIZMO-3") == 1000
    listed = (await inventory.get("/reservations", params={"order_id": "o-1"})).json()
    assert [r["status"] for r in listed] == ["released"]


async def test_release_unknown_reservation(inventory: httpx.AsyncClient) -> None:
    assert_problem(await inventory.post("/reservations/res_nope/release"), 404, "not_found")
    assert_problem(await inventory.get("/reservations/res_nope"), 404, "not_found")


async def test_set_stock_of_unknown_sku(inventory: httpx.AsyncClient) -> None:
    response = await inventory.put("/admin/stock/NOPE-1", json={"quantity": 3})

    assert_problem(response, 404, "unknown_sku")


async def test_concurrent_reservations_never_oversell(inventory: httpx.AsyncClient) -> None:
    await inventory.put("/admin/stock/GADGET-2", json={"quantity": 10})

    responses = await asyncio.gather(
        *(
            inventory.post("/reservations", json=reservation_request(f"o-{n}", ("GADGET-2", 1)))
            for n in range(15)
        )
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 10 + [409] * 5
    assert await stock_of(inventory, "GADGET-2") == 0
