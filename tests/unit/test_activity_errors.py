"""The activities' mapping of participant answers to results, retryable and non-retryable errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.inventory import InventoryActivities
from activities.payment import PaymentActivities
from activities.shipping import ShippingActivities
from orders.errors import ParticipantUnavailable
from orders.models import (
    Address,
    ChargePaymentInput,
    LineItem,
    ReserveInventoryInput,
    ScheduleShipmentInput,
    UndoInput,
)

Handler = Callable[[httpx.Request], httpx.Response]
RESERVE = ReserveInventoryInput(
    order_id="o-1", currency="USD", items=[LineItem(sku="WIDGET-1", quantity=2)]
)
CHARGE = ChargePaymentInput(order_id="o-1", amount=3000, currency="USD", token="tok_visa")
SHIP = ScheduleShipmentInput(
    order_id="o-1",
    address=Address(name="A", line1="1 Road", city="Town", postal_code="1", country="AQ"),
    items=[LineItem(sku="WIDGET-1", quantity=2)],
)


def http(handler: Handler) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://participant")


def problem(status: int, code: str, **extra: Any) -> httpx.Response:
    body = {"type": f"urn:hybrid-orders:problem:{code}", "title": code, "status": status}
    return httpx.Response(status, json={**body, "detail": f"{code}!", "code": code, **extra})


RESERVATION = {
    "id": "res_1",
    "order_id": "o-1",
    "status": "reserved",
    "lines": [{"sku": "WIDGET-1", "quantity": 2, "unit_price": 1500, "line_total": 3000}],
    "total": 3000,
    "currency": "USD",
}


async def test_reserve_sends_the_idempotency_key_and_returns_the_priced_reservation() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json=RESERVATION)

    reservation = await ActivityEnvironment().run(
        InventoryActivities(http(handler)).reserve, RESERVE
    )

    assert reservation.total == 3000 and reservation.id == "res_1"
    assert seen[0].headers["Idempotency-Key"] == "order-o-1:reserve_inventory"
    assert json.loads(seen[0].content)["items"] == [{"sku": "WIDGET-1", "quantity": 2}]


async def test_a_sagas_calls_carry_its_name_in_their_keys_not_in_their_bodies() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "GET":
            return httpx.Response(200, json=[RESERVATION])
        return httpx.Response(201, json=RESERVATION)

    activities = InventoryActivities(http(handler))
    saga = "0193a5b2-7c1d-7e3f-9a00-5b6c7d8e9f01"
    await ActivityEnvironment().run(activities.reserve, RESERVE.model_copy(update={"saga": saga}))
    await ActivityEnvironment().run(activities.release, UndoInput(order_id="o-1", saga=saga))

    reserve, lookup, release = seen
    assert reserve.headers["Idempotency-Key"] == f"order-o-1:{saga}:reserve_inventory"
    assert "saga" not in json.loads(reserve.content)
    assert dict(lookup.url.params) == {
        "order_id": "o-1",
        "idempotency_key": f"order-o-1:{saga}:reserve_inventory",
    }
    assert release.headers["Idempotency-Key"] == f"order-o-1:{saga}:release_inventory:res_1"


@pytest.mark.parametrize(
    ("response", "error_type", "detail_key", "detail"),
    [
        (problem(409, "out_of_stock", skus=["WIDGET-1"]), "OutOfStock", "skus", ["WIDGET-1"]),
        (problem(422, "unknown_sku", skus=["NOPE"]), "UnknownProduct", "skus", ["NOPE"]),
        (
            problem(422, "unsupported_currency"),
            "UnsupportedCurrency",
            "code",
            "unsupported_currency",
        ),
        (problem(422, "idempotency_key_reused"), "ContractViolation", "status", 422),
        (httpx.Response(400, text="bad"), "ContractViolation", "detail", "bad"),
    ],
)
async def test_inventory_rejections_are_non_retryable(
    response: httpx.Response, error_type: str, detail_key: str, detail: Any
) -> None:
    activities = InventoryActivities(http(lambda _: response))
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(activities.reserve, RESERVE)
    assert caught.value.type == error_type
    assert caught.value.non_retryable
    assert caught.value.details[0][detail_key] == detail
    assert caught.value.details[0]["participant"] == "inventory"


@pytest.mark.parametrize("code", ["card_declined", "insufficient_funds", "invalid_token"])
async def test_declines_become_payment_declined(code: str) -> None:
    activities = PaymentActivities(http(lambda _: problem(402, code, decline_code=code)))
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(activities.charge, CHARGE)
    assert (caught.value.type, caught.value.non_retryable) == ("PaymentDeclined", True)
    assert caught.value.details[0]["decline_code"] == code


async def test_undeliverable_is_non_retryable() -> None:
    activities = ShippingActivities(http(lambda _: problem(422, "undeliverable", country="AQ")))
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(activities.schedule, SHIP)
    assert (caught.value.type, caught.value.details[0]["country"]) == ("Undeliverable", "AQ")


def raising(exc: Exception) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


@pytest.mark.parametrize(
    "handler",
    [
        lambda _: problem(503, "injected_fault"),
        lambda _: httpx.Response(500, text="Internal Server Error"),
        lambda _: httpx.Response(502, text="<html>bad gateway</html>"),
        lambda _: problem(429, "rate_limited"),
        raising(httpx.ConnectError("connection refused")),
        raising(httpx.ReadTimeout("timed out")),
    ],
    ids=["503", "500", "502-html", "429", "connect-error", "read-timeout"],
)
async def test_faults_without_a_definite_answer_stay_retryable(handler: Handler) -> None:
    activities = PaymentActivities(http(handler))
    with pytest.raises(ParticipantUnavailable, match="payment"):
        await ActivityEnvironment().run(activities.charge, CHARGE)


async def test_undo_releases_only_live_records_and_tolerates_none() -> None:
    posted: list[str] = []
    records = [
        {**RESERVATION, "id": "res_1", "status": "released"},
        {**RESERVATION, "id": "res_2", "status": "reserved"},
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            assert request.url.params["order_id"] == "o-1"
            return httpx.Response(200, json=records)
        posted.append(f"{request.url.path} {request.headers['Idempotency-Key']}")
        return httpx.Response(200, json={**RESERVATION, "status": "released"})

    result = await ActivityEnvironment().run(
        InventoryActivities(http(handler)).release, UndoInput(order_id="o-1")
    )
    assert result.undone == ["res_2"]
    assert posted == ["/reservations/res_2/release order-o-1:release_inventory:res_2"]

    nothing = PaymentActivities(http(lambda _: httpx.Response(200, json=[])))
    result = await ActivityEnvironment().run(nothing.refund, UndoInput(order_id="o-1"))
    assert result.undone == []
