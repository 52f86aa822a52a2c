"""Payment: charges with test tokens, refunds."""

from __future__ import annotations

import httpx
import pytest

from .helpers import assert_problem, charge_request


@pytest.mark.parametrize("token", ["tok_visa", "tok_mastercard"])
async def test_a_good_token_is_charged(payment: httpx.AsyncClient, token: str) -> None:
    response = await payment.post("/charges", json=charge_request("o-1", token, amount=7497))

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"].startswith("ch_")
    assert {k: body[k] for k in ("order_id", "amount", "currency", "status", "refunded_at")} == {
        "order_id": "o-1",
        "amount": 7497,
        "currency": "USD",
        "status": "captured",
        "refunded_at": None,
    }
    assert set(body) == {
        "id",
        "order_id",
        "amount",
        "currency",
        "status",
        "created_at",
        "refunded_at",
    }
    assert (await payment.get(f"/charges/{body['id']}")).json() == body
    assert (await payment.get("/charges", params={"order_id": "o-1"})).json() == [body]


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("tok_chargeDeclined", "card_declined"),
        ("tok_insufficientFunds", "insufficient_funds"),
        ("tok_made_up", "invalid_token"),
    ],
)
async def test_a_declined_token_creates_no_charge(
    payment: httpx.AsyncClient, token: str, code: str
) -> None:
    response = await payment.post("/charges", json=charge_request("o-1", token))

    assert assert_problem(response, 402, code)["decline_code"] == code
    assert (await payment.get("/charges", params={"order_id": "o-1"})).json() == []


async def test_a_decline_is_replayed_under_its_key(payment: httpx.AsyncClient) -> None:
    key = {"Idempotency-Key": "order-o-1:charge_payment"}
    request = charge_request("o-1", "tok_insufficientFunds")

    first = await payment.post("/charges", json=request, headers=key)
    second = await payment.post("/charges", json=request, headers=key)

    assert_problem(first, 402, "insufficient_funds")
    assert_problem(second, 402, "insufficient_funds")
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()


async def test_a_charge_is_replayed_under_its_key(payment: httpx.AsyncClient) -> None:
    key = {"Idempotency-Key": "order-o-1:charge_payment"}

    first = await payment.post("/charges", json=charge_request("o-1"), headers=key)
    second = await payment.post("/charges", json=charge_request("o-1"), headers=key)
    other = await payment.post("/charges", json=charge_request("o-1", amount=1), headers=key)

    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert_problem(other, 422, "idempotency_key_reused")
    assert len((await payment.get("/charges", params={"order_id": "o-1"})).json()) == 1


async def test_refund_is_done_once(payment: httpx.AsyncClient) -> None:
    charge_id = (await payment.post("/charges", json=charge_request("o-1"))).json()["id"]

    first = await payment.post(f"/charges/{charge_id}/refund")
    second = await payment.post(f"/charges/{charge_id}/refund")

    assert first.status_code == second.status_code == 200
    assert first.json()["status"] == "refunded"
    assert first.json()["refunded_at"] is not None
    assert second.json() == first.json()
    assert (await payment.get(f"/charges/{charge_id}")).json() == first.json()


async def test_refund_of_unknown_charge(payment: httpx.AsyncClient) -> None:
    assert_problem(await payment.post("/charges/ch_nope/refund"), 404, "not_found")
    assert_problem(await payment.get("/charges/ch_nope"), 404, "not_found")


async def test_an_invalid_charge_names_each_bad_field(payment: httpx.AsyncClient) -> None:
    response = await payment.post(
        "/charges", json={"order_id": "o-1", "amount": 0, "currency": "usd"}
    )

    body = assert_problem(response, 422, "validation_error")
    assert sorted(e["field"] for e in body["errors"]) == ["amount", "currency", "token"]
    assert {e["location"] for e in body["errors"]} == {"body"}
