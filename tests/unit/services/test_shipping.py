"""Shipping: scheduling and cancelling shipments."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest

from services.shipping.carriers import add_business_days

from .helpers import assert_problem, shipment_request


@pytest.mark.parametrize(("country", "carrier"), [("US", "UPS"), ("DE", "DHL Express")])
async def test_a_shipment_is_scheduled(
    shipping: httpx.AsyncClient, country: str, carrier: str
) -> None:
    response = await shipping.post("/shipments", json=shipment_request("o-1", country))

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"].startswith("shp_")
    assert body["order_id"] == "o-1"
    assert body["status"] == "scheduled"
    assert body["carrier"] == carrier
    assert len(body["tracking_number"]) >= 10
    assert date.fromisoformat(body["estimated_delivery"]) > datetime.now(UTC).date()
    assert body["cancelled_at"] is None
    assert (await shipping.get(f"/shipments/{body['id']}")).json() == body
    assert (await shipping.get("/shipments", params={"order_id": "o-1"})).json() == [body]


@pytest.mark.parametrize("country", ["AQ", "KP"])
async def test_an_unserved_country_is_undeliverable(
    shipping: httpx.AsyncClient, country: str
) -> None:
    response = await shipping.post("/shipments", json=shipment_request("o-1", country))

    assert assert_problem(response, 422, "undeliverable")["country"] == country
    assert (await shipping.get("/shipments", params={"order_id": "o-1"})).json() == []


async def test_cancel_is_done_once(shipping: httpx.AsyncClient) -> None:
    shipment_id = (await shipping.post("/shipments", json=shipment_request("o-1"))).json()["id"]

    first = await shipping.post(f"/shipments/{shipment_id}/cancel")
    second = await shipping.post(f"/shipments/{shipment_id}/cancel")

    assert first.status_code == second.status_code == 200
    assert first.json()["status"] == "cancelled"
    assert first.json()["cancelled_at"] is not None
    assert second.json() == first.json()
    assert (await shipping.get(f"/shipments/{shipment_id}")).json()["status"] == "cancelled"


async def test_cancel_of_unknown_shipment(shipping: httpx.AsyncClient) -> None:
    assert_problem(await shipping.post("/shipments/shp_nope/cancel"), 404, "not_found")
    assert_problem(await shipping.get("/shipments/shp_nope"), 404, "not_found")


async def test_an_invalid_address_names_each_bad_field(shipping: httpx.AsyncClient) -> None:
    request = shipment_request("o-1")
    request["address"]["country"] = "us"
    del request["address"]["line1"]

    response = await shipping.post("/shipments", json=request)

    body = assert_problem(response, 422, "validation_error")
    assert sorted(e["field"] for e in body["errors"]) == ["address.country", "address.line1"]


def test_delivery_dates_skip_weekends() -> None:
    friday = date(2025, 1, 3)

    assert add_business_days(friday, 1) == date(2025, 1, 6)
    assert add_business_days(friday, 5) == date(2025, 1, 10)
