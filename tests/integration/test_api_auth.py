"""Who may do what through the API: refused without credentials or scope, and one customer never
sees another's orders (404, exactly as a missing one). Real Temporal, worker and participants."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI
from temporalio.client import Client

from api.auth.keys import KeyFile
from api.auth.scopes import Scope
from api.auth.settings import AuthSettings
from api.main import create_app
from orders.settings import Settings
from tests.integration.orders import order_body
from tests.tokens import bearer, customer_key

pytestmark = pytest.mark.usefixtures("worker")

JWT_SECRET = "a-test-hmac-secret-of-at-least-32-bytes!"


@asynccontextmanager
async def calling(app: FastAPI, token: str | None) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://api",
        headers=bearer(token) if token else {},
    ) as http:
        yield http


def new_customer() -> str:
    return f"cust-{uuid.uuid4().hex[:8]}"


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


async def test_no_or_bad_credentials_are_401_with_a_bearer_challenge(
    api_app: FastAPI, api_keys: KeyFile
) -> None:
    revoked = customer_key(api_keys, new_customer())
    assert api_keys.revoke(revoked.split("_")[1])
    for token in (None, "ho_0123456789abcdef_guessed", revoked, "not-a-token", "a.b.c"):
        async with calling(api_app, token) as http:
            for response in (
                await http.post("/orders", json=order_body()),
                await http.get("/orders"),
                await http.get("/orders/some-order"),
                await http.post("/orders/some-order/cancel"),
            ):
                body = assert_problem(response, 401, "unauthorized")
                assert response.headers["www-authenticate"].startswith("Bearer")
                assert token is None or token not in response.text, body
    async with calling(api_app, None) as http:
        assert (await http.get("/healthz")).status_code == 200
        document = (await http.get("/openapi.json")).json()
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


async def test_a_key_without_the_scope_is_403(api_app: FastAPI, api_keys: KeyFile) -> None:
    customer = new_customer()
    reader = customer_key(api_keys, customer, Scope.READ)
    placer = customer_key(api_keys, customer, Scope.PLACE)
    async with calling(api_app, reader) as http:
        body = assert_problem(
            await http.post("/orders", json=order_body(customer_id=customer)),
            403,
            "insufficient_scope",
        )
        assert body["scope"] == "orders:place"
    async with calling(api_app, placer) as http:
        placed = await http.post("/orders", json=order_body(customer_id=customer))
        assert placed.status_code == 202, placed.text
        order_id = placed.json()["order_id"]
        assert_problem(await http.get(f"/orders/{order_id}"), 403, "insufficient_scope")
        assert_problem(await http.get("/orders"), 403, "insufficient_scope")
        assert_problem(await http.post(f"/orders/{order_id}/cancel"), 403, "insufficient_scope")


async def test_a_customer_places_only_for_itself(api_app: FastAPI, api_keys: KeyFile) -> None:
    key = customer_key(api_keys, new_customer())
    async with calling(api_app, key) as http:
        response = await http.post("/orders", json=order_body(customer_id=new_customer()))
    assert_problem(response, 403, "customer_mismatch")


async def test_another_customers_order_is_not_found(
    api_app: FastAPI, api_keys: KeyFile, api: httpx.AsyncClient
) -> None:
    alice, bob = new_customer(), new_customer()
    alice_key, bob_key = customer_key(api_keys, alice), customer_key(api_keys, bob)
    async with calling(api_app, alice_key) as http:
        placed = await http.post("/orders", json=order_body(customer_id=alice), params={"wait": 30})
        assert placed.status_code == 200, placed.text
        order_id = placed.json()["order_id"]
        assert (await http.get(f"/orders/{order_id}")).json()["customer_id"] == alice
        mine = (await http.get("/orders")).json()["orders"]
        assert [o["order_id"] for o in mine] == [order_id]

    missing = await api.get("/orders/no-such-order")  # an operator, on an id that never was
    async with calling(api_app, bob_key) as http:
        for response in (
            await http.get(f"/orders/{order_id}"),
            await http.post(f"/orders/{order_id}/cancel"),
        ):
            body = assert_problem(response, 404, "order_not_found")
            assert body["title"] == missing.json()["title"]
            assert body["detail"] == missing.json()["detail"].replace("no-such-order", order_id)
        assert (await http.get("/orders")).json()["orders"] == []
        assert (await http.get("/orders", params={"customer_id": alice})).json()["orders"] == []
    # An operator sees every customer's orders.
    listed = (await api.get("/orders", params={"customer_id": alice})).json()["orders"]
    assert [o["order_id"] for o in listed] == [order_id]


@pytest.fixture(scope="module")
def jwt_app(client: Client, settings: Settings) -> FastAPI:
    auth = AuthSettings(
        jwt_key=JWT_SECRET, jwt_algorithms=["HS256"], jwt_issuer="https://issuer.test"
    )
    return create_app(settings, client=client, auth=auth)


def token(**claims: Any) -> str:
    base = {
        "sub": "cust-jwt",
        "scope": "orders:place orders:read",
        "iss": "https://issuer.test",
        "aud": "hybrid-orders",
        "exp": int(time.time()) + 300,
    }
    return jwt.encode({**base, **claims}, JWT_SECRET, algorithm="HS256")


async def test_jwts_are_verified_and_carry_the_customer_and_scopes(jwt_app: FastAPI) -> None:
    async with calling(jwt_app, token()) as http:
        placed = await http.post("/orders", json=order_body(customer_id="cust-jwt"))
        assert placed.status_code == 202, placed.text
        order_id = placed.json()["order_id"]
        assert (await http.get(f"/orders/{order_id}")).status_code == 200
        assert_problem(await http.post(f"/orders/{order_id}/cancel"), 403, "insufficient_scope")
    unsigned = jwt.encode({"sub": "cust-jwt", "exp": int(time.time()) + 300}, "", "none")
    refused = [
        token(exp=int(time.time()) - 3600),
        token(aud="someone-else"),
        token(iss="https://evil.test"),
        jwt.encode({"sub": "cust-jwt", "aud": "hybrid-orders"}, JWT_SECRET, algorithm="HS256"),
        token()[:-4] + "AAAA",
        unsigned,
    ]
    for bad in refused:
        async with calling(jwt_app, bad) as http:
            assert_problem(await http.get(f"/orders/{order_id}"), 401, "unauthorized")


async def test_each_key_is_rate_limited_with_retry_after(
    client: Client, settings: Settings, api_keys: KeyFile
) -> None:
    auth = AuthSettings(
        api_keys_file=api_keys.path, api_rate_limit_per_second=0.5, api_rate_limit_burst=2
    )
    app = create_app(settings, client=client, auth=auth)
    first, second = (customer_key(api_keys, new_customer()) for _ in range(2))
    async with calling(app, first) as http:
        assert [(await http.get("/orders")).status_code for _ in range(2)] == [200, 200]
        limited = await http.get("/orders")
        assert_problem(limited, 429, "rate_limited")
        assert int(limited.headers["retry-after"]) >= 1
    async with calling(app, second) as http:
        assert (await http.get("/orders")).status_code == 200  # another key: its own bucket
