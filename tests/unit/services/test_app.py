"""What every service app shares: health, problem responses, the admin switch, the token."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from fastapi import FastAPI

from servicekit.auth import ServiceTokenMissing
from servicekit.faults import FaultMiddleware
from services.inventory.app import create_app as create_inventory
from services.inventory.settings import InventorySettings
from services.payment.app import create_app as create_payment
from services.payment.settings import PaymentSettings
from services.shipping.app import create_app as create_shipping
from services.shipping.settings import ShippingSettings
from tests.databases import Databases
from tests.threadpool import thread_hops
from tests.tokens import SERVICE_TOKEN

from .helpers import (
    APPS,
    Service,
    assert_problem,
    charge_request,
    reservation_request,
    serve_in_process,
    shipment_request,
)

CREATES = {
    "inventory": ("/reservations", reservation_request("o-1", ("WIDGET-1", 1))),
    "payment": ("/charges", charge_request("o-1")),
    "shipping": ("/shipments", shipment_request("o-1")),
}


async def test_healthz(any_service: Service) -> None:
    response = await any_service.client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_a_participant_call_hops_to_no_thread(
    any_service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, body = CREATES[any_service.name]
    with thread_hops(monkeypatch) as hops:
        created = await any_service.client.post(
            path, json=body, headers={"Idempotency-Key": "order-o-1:step"}
        )
        listed = await any_service.client.get(path, params={"order_id": "o-1"})

    assert created.status_code == 201, created.text
    assert len(listed.json()) == 1
    assert hops == []


async def test_validation_errors_name_each_bad_field(inventory: httpx.AsyncClient) -> None:
    response = await inventory.post(
        "/reservations", json={"items": [{"sku": "", "quantity": 0}], "currency": "usd"}
    )

    body = assert_problem(response, 422, "validation_error")
    fields = sorted(e["field"] for e in body["errors"])
    assert fields == ["currency", "items.0.quantity", "items.0.sku", "order_id"]
    assert all(e["message"] and e["type"] for e in body["errors"])
    assert "order_id" in body["detail"]


async def test_malformed_json_is_a_validation_problem(inventory: httpx.AsyncClient) -> None:
    response = await inventory.post(
        "/reservations", content=b"{not json", headers={"Content-Type": "application/json"}
    )

    assert_problem(response, 422, "validation_error")


async def test_unknown_route_and_wrong_method_are_problems(inventory: httpx.AsyncClient) -> None:
    assert_problem(await inventory.get("/nowhere"), 404, "not_found")
    wrong_method = await inventory.delete("/products")
    assert_problem(wrong_method, 405, "method_not_allowed")
    assert "GET" in wrong_method.headers["allow"]


async def test_admin_routes_are_absent_when_disabled(databases: Databases) -> None:
    settings = InventorySettings(database_url=await databases.url("inv"))  # off by default

    async with serve_in_process(create_inventory(settings)) as client:
        faults = await client.get("/admin/faults")
        set_faults = await client.post("/admin/faults", json={"error_rate": 1.0})
        stock = await client.put("/admin/stock/WIDGET-1", json={"quantity": 0})
        products = await client.get("/products")

    assert_problem(faults, 404, "not_found")
    assert_problem(set_faults, 404, "not_found")
    assert_problem(stock, 404, "not_found")
    assert products.status_code == 200


def mounts_faults(app: FastAPI) -> bool:
    classes: list[object] = [middleware.cls for middleware in app.user_middleware]
    return FaultMiddleware in classes


PRODUCTION = {
    "inventory": lambda url: create_inventory(InventorySettings(database_url=url)),
    "payment": lambda url: create_payment(PaymentSettings(database_url=url)),
    "shipping": lambda url: create_shipping(ShippingSettings(database_url=url)),
}


@pytest.mark.parametrize("name", sorted(PRODUCTION))
async def test_with_admin_off_no_request_meets_fault_injection(
    name: str, databases: Databases
) -> None:
    app = PRODUCTION[name](await databases.url(name))  # admin off: the production setting
    path, body = CREATES[name]

    async with serve_in_process(app) as client:
        faults = await client.get("/admin/faults")
        created = await client.post(path, json=body, headers={"Idempotency-Key": "order-o-1:s"})

    assert not mounts_faults(app)
    assert app.state.after_commit is None
    assert not hasattr(app.state, "faults")
    assert not any(route.startswith("/admin") for route in app.openapi()["paths"])
    assert_problem(faults, 404, "not_found")
    assert created.status_code == 201, created.text


def test_with_admin_on_faults_are_mounted() -> None:
    for name, build in APPS.items():
        app = build("sqlite+aiosqlite://")
        assert mounts_faults(app), name
        assert app.state.after_commit is app.state.faults, name
        assert "/admin/faults" in app.openapi()["paths"], name


def test_the_idempotency_store_does_not_depend_on_fault_injection() -> None:
    code = (
        "import sys, servicekit.idempotency, servicekit.deps;"
        "assert 'servicekit.faults' not in sys.modules, 'imported servicekit.faults'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


async def test_catalog_is_seeded_only_once(databases: Databases) -> None:
    settings = InventorySettings(database_url=await databases.url("inv"), enable_admin=True)
    async with serve_in_process(create_inventory(settings)) as client:
        await client.put("/admin/stock/WIDGET-1", json={"quantity": 7})

    async with serve_in_process(create_inventory(settings)) as client:
        products = {p["sku"]: p for p in (await client.get("/products")).json()}

    assert products["WIDGET-1"]["stock"] == 7
    assert len(products) >= 4


@pytest.mark.parametrize("name", sorted(APPS))
async def test_every_route_but_healthz_needs_the_service_token(
    name: str, databases: Databases
) -> None:
    app = APPS[name](await databases.url(name))
    async with serve_in_process(app) as client:
        paths = {path: next(iter(ops)).upper() for path, ops in app.openapi()["paths"].items()}
        assert "/admin/faults" in paths
        for path, method in paths.items():
            url = path.replace("{", "").replace("}", "")  # any id: auth comes first
            for headers in ({"Authorization": ""}, {"Authorization": "Bearer wrong"}):
                response = await client.request(method, url, headers=headers)
                if path == "/healthz":
                    assert response.status_code == 200
                    continue
                body = assert_problem(response, 401, "unauthorized")
                assert response.headers["www-authenticate"].startswith("Bearer")
                assert SERVICE_TOKEN not in response.text and "wrong" not in body["detail"]


def test_a_service_without_a_token_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORDERS_SERVICE_TOKEN")
    with pytest.raises(ServiceTokenMissing, match="ORDERS_SERVICE_TOKEN"):
        create_inventory(InventorySettings(database_url="sqlite+aiosqlite://"))
    monkeypatch.setenv("ORDERS_ALLOW_NO_SERVICE_TOKEN", "1")
    create_inventory(InventorySettings(database_url="sqlite+aiosqlite://"))
