"""The `orders` commands against an API faked with `httpx.MockTransport`: no servers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import httpx
import pytest

from api.schemas import OrderCreate
from cli.errors import ApiError
from cli.order.render import money
from cli.order.scenarios import Scenario, order_body
from tests.unit.fake_api import (
    Fake,
    Handler,
    assert_clean_exit,
    order,
    orders,
    problem,
    step,
)

# --- scenarios ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "sku", "token", "country"),
    [
        (Scenario.HAPPY, "GADGET-2", "tok_visa", "US"),
        (Scenario.OUT_OF_STOCK, "RARE-9", "tok_visa", "US"),
        (Scenario.DECLINED, "GADGET-2", "tok_chargeDeclined", "US"),
        (Scenario.UNDELIVERABLE, "GADGET-2", "tok_visa", "AQ"),
        (Scenario.SLOW, "GADGET-2", "tok_visa", "US"),
    ],
)
def test_each_scenario_builds_a_valid_body(
    scenario: Scenario, sku: str, token: str, country: str
) -> None:
    body = order_body(scenario, "cust-7")

    created = OrderCreate.model_validate(body)  # what the API would accept
    assert created.order_id is None and created.customer_id == "cust-7"
    assert sku in [item.sku for item in created.items]
    assert created.payment_token == token
    assert created.shipping_address.country == country


def test_happy_is_two_widgets_and_a_gadget() -> None:
    assert order_body(Scenario.HAPPY)["items"] == [
        {"sku": "WIDGET-1", "quantity": 2},
        {"sku": "GADGET-2", "quantity": 1},
    ]


def test_money_is_major_units_with_the_currency() -> None:
    assert money(7500, "USD") == "75.00 USD"
    assert money(None, "USD") == "-"


# --- place --------------------------------------------------------------------------------------


def test_place_shows_a_failed_order_and_its_compensations_and_exits_0(fake: Fake) -> None:
    failed = order(
        "FAILED",
        steps=[step("reserve_inventory"), step("charge_payment", "failed")],
        failure={"type": "PaymentDeclined", "message": "The card was declined.", "step": "x"},
        compensations=[step("refund_payment", detail="nothing to undo"), step("release_inventory")],
    )
    fake.handler = lambda request: httpx.Response(200, json=failed)

    result = orders("place", "--scenario", "declined", "--wait", "12")

    assert_clean_exit(result, 0)
    assert fake.calls() == [("POST", "api", "/orders")]
    assert fake.requests[0].url.params["wait"] == "12.0"
    assert fake.bodies()[0]["payment_token"] == "tok_chargeDeclined"
    out = result.stdout
    assert "FAILED" in out and "75.00 USD" in out
    assert "PaymentDeclined: The card was declined." in out
    assert out.index("refund_payment") < out.index("release_inventory")
    assert "http://ui.test/namespaces/default/workflows/order-A-1" in out


def test_place_count_places_each_order_and_counts_them_per_status(fake: Fake) -> None:
    answers = iter(["COMPLETED", "FAILED", "COMPLETED", "COMPLETED", "FAILED"])

    def answer(request: httpx.Request) -> httpx.Response:
        status = next(answers)
        return httpx.Response(200, json=order(status, order_id=f"o-{len(fake.requests)}"))

    fake.handler = answer
    result = orders("place", "--count", "5", "--concurrency", "2", "--customer", "c-9")

    assert_clean_exit(result, 0)
    assert len(fake.bodies()) == 5
    assert {body["customer_id"] for body in fake.bodies()} == {"c-9"}
    lines = [line.split() for line in result.stdout.splitlines()]
    assert ["COMPLETED", "3"] in lines and ["FAILED", "2"] in lines
    assert all(f"o-{n}" in result.stdout for n in range(1, 6))


def test_place_sends_a_key_and_retries_a_lost_answer_with_it(fake: Fake) -> None:
    lost = iter([True, False])

    def answer(request: httpx.Request) -> httpx.Response:
        if next(lost):
            raise httpx.ReadTimeout("lost", request=request)
        return httpx.Response(202, json=order("RECEIVED"))

    fake.handler = answer
    result = orders("place", "--wait", "0")

    assert_clean_exit(result, 0)
    keys = [request.headers["Idempotency-Key"] for request in fake.requests]
    assert len(keys) == 2 and keys[0] == keys[1] and len(keys[0]) >= 32


def test_place_retries_a_503_with_retry_after_under_the_same_key(fake: Fake) -> None:
    answers = iter(
        [
            problem(503, "order_busy", "Try again shortly.", headers={"Retry-After": "0"}),
            httpx.Response(200, json=order()),
        ]
    )
    fake.handler = lambda request: next(answers)

    result = orders("place")

    assert_clean_exit(result, 0)
    assert len({request.headers["Idempotency-Key"] for request in fake.requests}) == 1
    assert len(fake.requests) == 2


def test_place_gives_up_after_its_tries_and_says_why(fake: Fake) -> None:
    fake.handler = lambda request: problem(
        503, "worker_unavailable", "No order worker took it.", headers={"Retry-After": "0"}
    )

    result = orders("place")

    assert_clean_exit(result, 1)
    assert len(fake.requests) == 3
    assert result.stderr.strip() == "error: No order worker took it."


def test_each_order_of_a_batch_has_a_key_of_its_own(fake: Fake) -> None:
    fake.handler = lambda request: httpx.Response(200, json=order())
    result = orders("place", "--count", "4")

    assert_clean_exit(result, 0)
    assert len({request.headers["Idempotency-Key"] for request in fake.requests}) == 4


def test_place_count_reports_the_orders_the_api_refused_and_exits_1(fake: Fake) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if len(fake.requests) % 2:
            return httpx.Response(200, json=order(order_id=f"o-{len(fake.requests)}"))
        return problem(503, "temporal_unavailable", "Temporal is not reachable.")

    fake.handler = answer
    result = orders("place", "--count", "4", "--concurrency", "1")

    assert_clean_exit(result, 1)
    lines = [line.split() for line in result.stdout.splitlines()]
    assert ["COMPLETED", "2"] in lines and ["refused", "by", "the", "API", "2"] in lines
    assert result.stderr.splitlines() == ["error: Temporal is not reachable. (x2)"]


def test_place_json_prints_one_order_per_line(fake: Fake) -> None:
    fake.handler = lambda request: httpx.Response(200, json=order(order_id=request.url.path))

    result = orders("place", "--count", "3", "--json")

    assert_clean_exit(result, 0)
    printed = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(printed) == 3 and all(o["status"] == "COMPLETED" for o in printed)


def test_place_refused_names_each_bad_field_on_one_line_and_exits_1(fake: Fake) -> None:
    errors = [
        {"field": "customer_id", "location": "body", "message": "too short", "type": "x"},
        {"field": "wait", "location": "query", "message": "too long", "type": "y"},
    ]
    fake.handler = lambda request: problem(
        422, "validation_error", "Invalid fields: customer_id, wait", errors=errors
    )

    result = orders("place", "--customer", " ")

    assert_clean_exit(result, 1)
    assert result.stderr.splitlines() == ["error: Problem: customer_id: too short; wait: too long"]


def test_place_when_nothing_listens_says_to_start_the_stack_and_exits_2() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the command runs: refused

    result = orders("place", "--api", f"http://127.0.0.1:{port}")

    assert_clean_exit(result, 2)
    assert result.stderr.strip() == (
        f"error: cannot reach the API at http://127.0.0.1:{port}: is `make dev` running?"
    )


def test_place_an_answer_that_is_not_a_problem_still_makes_one_line(fake: Fake) -> None:
    fake.handler = lambda request: httpx.Response(502, text="<html>Bad Gateway</html>")

    result = orders("place")

    assert_clean_exit(result, 1)
    assert result.stderr.strip() == "error: <html>Bad Gateway</html>"


# --- the slow scenario --------------------------------------------------------------------------


def test_slow_sets_the_fault_places_without_waiting_and_clears_it_at_shipping(
    fake: Fake,
) -> None:
    statuses = iter(["CHARGING_PAYMENT", "SCHEDULING_SHIPMENT"])

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host == "shipping.test":
            return httpx.Response(204 if request.method == "DELETE" else 200, json={})
        if request.method == "POST":
            return httpx.Response(202, json=order("RECEIVED", order_id="S-1"))
        return httpx.Response(200, json=order(next(statuses), order_id="S-1"))

    fake.handler = answer
    result = orders("place", "--scenario", "slow", "--slow-ms", "5000")

    assert_clean_exit(result, 0)
    assert fake.calls() == [
        ("POST", "shipping", "/admin/faults"),
        ("POST", "api", "/orders"),
        ("GET", "api", "/orders/S-1"),
        ("GET", "api", "/orders/S-1"),
        ("DELETE", "shipping", "/admin/faults"),
    ]
    assert fake.bodies()[0] == {"latency_ms": 5000}
    assert "wait" not in fake.requests[1].url.params
    assert (
        "order S-1 is scheduling its shipment for ~5s: cancel it with `orders cancel S-1`"
        in result.stdout
    )


def test_slow_gives_up_on_an_order_that_does_not_reach_shipping_in_time(fake: Fake) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host == "shipping.test":
            return httpx.Response(200, json={})
        return httpx.Response(200, json=order("CHARGING_PAYMENT", order_id="S-2"))

    fake.handler = answer
    result = orders("place", "--scenario", "slow", "--wait", "0.05")

    assert_clean_exit(result, 1)
    assert "order S-2 is still CHARGING_PAYMENT after 0.05s" in result.stderr
    assert fake.calls()[-1] == ("DELETE", "shipping", "/admin/faults")


def refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


@pytest.mark.parametrize(
    ("refusal", "exit_code"),
    [
        (lambda request: problem(503, "temporal_unavailable", "Temporal is down."), 1),
        (refused, 2),
    ],
    ids=["api-refuses", "api-unreachable"],
)
def test_slow_clears_the_fault_even_when_placing_fails(
    fake: Fake, refusal: Handler, exit_code: int
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host == "shipping.test":
            return httpx.Response(200, json={})
        return refusal(request)

    fake.handler = answer
    result = orders("place", "--scenario", "slow")

    assert_clean_exit(result, exit_code)
    assert fake.calls()[0] == ("POST", "shipping", "/admin/faults")
    assert fake.calls()[-1] == ("DELETE", "shipping", "/admin/faults")


# --- status and cancel --------------------------------------------------------------------------


def test_status_shows_steps_compensations_and_what_is_left_to_undo(fake: Fake) -> None:
    stuck = order(
        "COMPENSATION_FAILED",
        steps=[step("reserve_inventory"), step("charge_payment"), step("schedule_shipment")],
        compensations=[step("refund_payment", "failed", detail="card network down")],
        left_to_undo=["refund_payment"],
    )
    fake.handler = lambda request: httpx.Response(200, json=stuck)

    result = orders("status", "A-1")

    assert_clean_exit(result, 0)
    assert fake.calls() == [("GET", "api", "/orders/A-1")]
    for text in ("COMPENSATION_FAILED", "schedule_shipment", "1 attempt", "card network down"):
        assert text in result.stdout
    assert "refund_payment: an operator must finish these" in result.stdout


def test_status_json_is_the_order_as_answered(fake: Fake) -> None:
    fake.handler = lambda request: httpx.Response(200, json=order())

    result = orders("status", "A-1", "--json")

    assert json.loads(result.stdout) == order()


def test_status_of_an_unknown_order_exits_1(fake: Fake) -> None:
    fake.handler = lambda request: problem(404, "order_not_found", "No order 'nope'.")

    result = orders("status", "nope")

    assert_clean_exit(result, 1)
    assert result.stderr.strip() == "error: no order nope"


def test_cancel_accepted_says_what_happens_next(fake: Fake) -> None:
    fake.handler = lambda request: httpx.Response(
        202, json={"order_id": "A-1", "status": "CHARGING_PAYMENT", "links": {}}
    )

    result = orders("cancel", "A-1", "--reason", "ordered by mistake")

    assert_clean_exit(result, 0)
    assert fake.calls() == [("POST", "api", "/orders/A-1/cancel")]
    assert fake.bodies() == [{"reason": "ordered by mistake"}]
    assert result.stdout.strip() == (
        "cancel accepted while CHARGING_PAYMENT: compensating; follow with `orders status A-1`"
    )


def test_cancel_a_settled_order_prints_why_and_exits_1(fake: Fake) -> None:
    detail = "order A-1 is COMPLETED; it can no longer be cancelled"
    fake.handler = lambda request: problem(409, "cannot_cancel", detail)

    result = orders("cancel", "A-1")

    assert_clean_exit(result, 1)
    assert fake.bodies() == [{}]
    assert result.stderr.strip() == f"error: {detail}"


def test_cancel_an_unknown_order_exits_1(fake: Fake) -> None:
    fake.handler = lambda request: problem(404, "order_not_found", "No order 'nope'.")

    result = orders("cancel", "nope")

    assert_clean_exit(result, 1)
    assert result.stderr.strip() == "error: no order nope"


def test_status_says_who_finished_an_order_and_how(fake: Fake) -> None:
    finished = order(
        "FAILED",
        resolutions=[
            {
                "action": "by_hand",
                "operator": "key:ops1",
                "note": "refunded in the PSP",
                "undos": ["refund_payment"],
                "at": "2026-12-03T10:00:00Z",
            }
        ],
    )
    fake.handler = lambda request: httpx.Response(200, json=finished)

    result = orders("status", "A-1")

    assert_clean_exit(result, 0)
    assert "refund_payment by hand, by key:ops1" in result.stdout
    assert "refunded in the PSP" in result.stdout


def test_compensation_by_hand_posts_the_note_and_says_the_order_settles(fake: Fake) -> None:
    fake.handler = lambda request: httpx.Response(
        202,
        json={
            "order_id": "A-1",
            "status": "COMPENSATION_FAILED",
            "left_to_undo": ["refund_payment"],
            "links": order()["links"],
        },
    )

    result = orders("compensation", "by-hand", "A-1", "--note", "refunded in the PSP")

    assert_clean_exit(result, 0)
    assert fake.calls() == [("POST", "api", "/orders/A-1/finish")]
    assert fake.bodies() == [{"action": "by_hand", "note": "refunded in the PSP"}]
    assert "refund_payment as done by hand" in result.stdout


def test_compensation_by_hand_needs_a_note(fake: Fake) -> None:
    result = orders("compensation", "by-hand", "A-1")

    assert result.exit_code == 2  # a usage error: typer names the missing option
    assert fake.requests == []


def test_compensation_retry_of_an_order_not_left_to_an_operator_exits_1(fake: Fake) -> None:
    fake.handler = lambda request: problem(
        409, "cannot_finish", "order A-1 is COMPLETED; only an order left …"
    )

    result = orders("compensation", "retry", "A-1")

    assert_clean_exit(result, 1)
    assert result.stderr.strip() == "error: order A-1 is COMPLETED; only an order left …"
    assert len(fake.requests) == 1  # a finish moves the order on: never sent twice


def test_api_error_keeps_the_problem_fields() -> None:
    error = ApiError.from_response(problem(409, "cannot_cancel", "too late"))
    assert (error.status, error.code, error.detail, error.errors) == (
        409,
        "cannot_cancel",
        "too late",
        [],
    )


# --- help ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "mentions"),
    [
        (
            "place",
            [
                "--scenario",
                "--count",
                "--concurrency",
                "--customer",
                "--wait",
                "--json",
                "--slow-ms",
                "--shipping-url",
                "--api",
                "Examples",
            ],
        ),
        ("status", ["ORDER_ID", "--json", "--api", "Examples"]),
        ("cancel", ["ORDER_ID", "--reason", "--api", "Examples"]),
        ("dev", ["ORDERS_DATA_DIR"]),
        ("compensation retry", ["ORDER_ID", "--note", "orders:operate", "Example"]),
        ("compensation by-hand", ["ORDER_ID", "--note", "orders:operate", "Example"]),
    ],
)
def test_help_of_every_command(command: str, mentions: list[str]) -> None:
    result = orders(*command.split(), "--help")

    assert_clean_exit(result, 0)
    for mention in mentions:
        assert mention.lower() in result.stdout.lower(), mention


def test_a_setting_that_does_not_parse_is_one_line_naming_its_variable() -> None:
    """`orders audit` reads the fleet's settings as it loads: a bad `ORDERS_*` value is named."""
    result = subprocess.run(
        [sys.executable, "-m", "cli", "audit"],
        env={**os.environ, "ORDERS_NATS_REPLICAS": "three"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "ValidationError" not in result.stderr
    assert result.stderr.startswith("error: bad setting: ORDERS_NATS_REPLICAS='three'"), (
        result.stderr
    )
