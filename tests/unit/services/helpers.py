"""Helpers the service tests share: run an app in process, check a problem response."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, NamedTuple

import httpx
from fastapi import FastAPI

from services.inventory.app import create_app as create_inventory
from services.inventory.settings import InventorySettings
from services.payment.app import create_app as create_payment
from services.payment.settings import PaymentSettings
from services.shipping.app import create_app as create_shipping
from services.shipping.settings import ShippingSettings
from tests.tokens import SERVICE_HEADERS

PROBLEM_TYPE_PREFIX = "urn:hybrid-orders:problem:"


class Service(NamedTuple):
    """A service's name and a client calling it (the `any_service` fixture)."""

    name: str
    client: httpx.AsyncClient


# Each service's app on the database at a URL. Settings are passed explicitly so that
# INVENTORY_* etc. in the environment cannot leak in.
APPS: dict[str, Callable[[str], FastAPI]] = {
    "inventory": lambda url: create_inventory(
        InventorySettings(database_url=url, enable_admin=True)
    ),
    "payment": lambda url: create_payment(PaymentSettings(database_url=url, enable_admin=True)),
    "shipping": lambda url: create_shipping(ShippingSettings(database_url=url, enable_admin=True)),
}


@asynccontextmanager
async def serve_in_process(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client calling `app` without sockets, with the app's lifespan (database setup) run."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://svc", headers=SERVICE_HEADERS
        ) as client:
            yield client


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Assert `response` is an RFC 9457 problem with this status and code; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEM_TYPE_PREFIX + code
    assert body["code"] == code
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def reservation_request(order_id: str, *items: tuple[str, int]) -> dict[str, Any]:
    return {"order_id": order_id, "items": [{"sku": s, "quantity": q} for s, q in items]}


def charge_request(order_id: str, token: str = "tok_visa", amount: int = 4999) -> dict[str, Any]:
    return {"order_id": order_id, "amount": amount, "currency": "USD", "token": token}


def shipment_request(order_id: str, country: str = "US") -> dict[str, Any]:
    return {
        "order_id": order_id,
        "address": {
            "name": "Ada Lovelace",
            "line1": "12 St James's Square",
            "city": "London" if country != "US" else "Springfield",
            "postal_code": "62701",
            "country": country,
        },
        "items": [{"sku": "WIDGET-1", "quantity": 2}],
    }


async def stock_of(client: httpx.AsyncClient, sku: str) -> int:
    response = await client.get("/products")
    assert response.status_code == 200
    stock: int = next(p["stock"] for p in response.json() if p["sku"] == sku)
    return stock
