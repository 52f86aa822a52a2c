"""The orders API faked with `httpx.MockTransport`, and the `orders` command run against it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from typer.testing import CliRunner, Result

from cli.main import app

API = "http://api.test"
SHIPPING = "http://shipping.test"
ENV = {"ORDERS_API_URL": API, "ORDERS_SHIPPING_URL": SHIPPING, "COLUMNS": "200"}

Handler = Callable[[httpx.Request], httpx.Response]


def order(status: str = "COMPLETED", order_id: str = "A-1", **fields: Any) -> dict[str, Any]:
    """An `OrderPublic` body as the API answers it."""
    return {
        "order_id": order_id,
        "status": status,
        "customer_id": "cust-cli",
        "total": 7500,
        "currency": "USD",
        "items": [{"sku": "WIDGET-1", "quantity": 2}],
        "steps": [],
        "compensations": [],
        "failure": None,
        "cancel_reason": None,
        "left_to_undo": [],
        "links": {
            "self": f"/orders/{order_id}",
            "temporal_ui": f"http://ui.test/namespaces/default/workflows/order-{order_id}",
        },
        **fields,
    }


def step(name: str, outcome: str = "succeeded", detail: str | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "outcome": outcome,
        "attempts": 1,
        "started_at": "2026-11-23T10:00:00Z",
        "finished_at": "2026-11-23T10:00:01Z",
        "detail": detail,
    }


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> httpx.Response:
    body = {"type": f"urn:hybrid-orders:problem:{code}", "title": "Problem", "status": status}
    return httpx.Response(
        status,
        json={**body, "detail": detail, "code": code, **extensions},
        headers={"content-type": "application/problem+json", **(headers or {})},
    )


class Fake:
    """Answers every request with the test's handler, and keeps what was asked."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.handler: Handler = lambda request: httpx.Response(500)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def calls(self) -> list[tuple[str, str, str]]:
        return [(r.method, r.url.host.split(".")[0], r.url.path) for r in self.requests]

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests if r.method == "POST"]


def orders(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=ENV)


def assert_clean_exit(result: Result, code: int) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
