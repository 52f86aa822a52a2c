"""The bench's free participants answer as the real services do, so the saga runs unchanged."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from orders.models import Charge, Reservation, Shipment
from services.inventory.schemas import ReservationPublic
from services.payment.schemas import ChargePublic
from services.shipping.schemas import ShipmentPublic
from tools.bench.saga import app

ADDRESS = {"name": "G", "line1": "1", "city": "A", "postal_code": "1", "country": "US"}
CALLS: list[tuple[str, dict[str, Any], type[BaseModel], type[BaseModel]]] = [
    (
        "/reservations",
        {"order_id": "o-1", "currency": "USD", "items": [{"sku": "WIDGET-1", "quantity": 3}]},
        ReservationPublic,
        Reservation,
    ),
    (
        "/charges",
        {"order_id": "o-1", "amount": 3000, "currency": "USD", "token": "tok_visa"},
        ChargePublic,
        Charge,
    ),
    (
        "/shipments",
        {
            "order_id": "o-1",
            "address": {
                "name": "G",
                "line1": "1",
                "city": "A",
                "postal_code": "1",
                "country": "US",
            },
            "items": [{"sku": "WIDGET-1", "quantity": 3}],
        },
        ShipmentPublic,
        Shipment,
    ),
]


async def call(method: str, path: str, body: Any = None) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://free"
    ) as http:
        return await http.request(method, path, json=body, headers={"Idempotency-Key": "k"})


async def post(path: str, body: Any) -> httpx.Response:
    return await call("POST", path, body)


@pytest.mark.parametrize(("path", "body", "public", "model"), CALLS, ids=[c[0] for c in CALLS])
async def test_each_call_is_answered_as_its_service_answers_a_success(
    path: str, body: dict[str, Any], public: type[BaseModel], model: type[BaseModel]
) -> None:
    response = await post(path, body)

    assert response.status_code == 201
    answer = public.model_validate(response.json())  # the service's own response schema
    assert answer.model_dump()["order_id"] == "o-1"
    model.model_validate(response.json())  # and what the activity makes of it


async def test_the_reservation_prices_every_line() -> None:
    body = {"order_id": "o-2", "items": [{"sku": "A", "quantity": 2}, {"sku": "B", "quantity": 1}]}

    reservation = Reservation.model_validate((await post("/reservations", body)).json())

    assert [(line.sku, line.quantity) for line in reservation.lines] == [("A", 2), ("B", 1)]
    assert reservation.total == sum(line.line_total for line in reservation.lines) > 0


async def test_each_answer_has_an_id_of_its_own() -> None:
    body = {"order_id": "o-3", "amount": 100, "currency": "USD"}

    first, second = [(await post("/charges", body)).json()["id"] for _ in range(2)]

    assert first != second


async def test_what_is_not_a_participant_call_is_refused() -> None:
    assert (await post("/refunds", {"order_id": "o-1"})).status_code == 404
    assert (await post("/charges", {"order_id": "o-1"})).status_code == 422
    assert (await post("/charges", ["not", "an", "object"])).status_code == 422


async def test_it_answers_its_readiness_check() -> None:
    assert (await call("GET", "/healthz")).status_code == 200
