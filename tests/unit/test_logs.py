"""The log format: the order id and trace id on every line of an order, wherever it is written."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from opentelemetry.sdk.trace import TracerProvider
from temporalio import activity
from temporalio.testing import ActivityEnvironment

from api.main import order_of_request as api_order_of
from orders.logs import FORMAT, install_record_factory, order_logging
from servicekit.participant import order_of_request as service_order_of

# A provider of the test's own: its spans are real (valid ids) without touching the global one.
tracer = TracerProvider().get_tracer("tests")


@pytest.fixture(autouse=True)
def _factory() -> None:
    install_record_factory()


def line(logger: str = "tests") -> str:
    """One formatted line logged now, in the caller's context."""
    record = logging.getLogger(logger).makeRecord(logger, logging.INFO, "f", 1, "hello", (), None)
    return logging.Formatter(FORMAT).format(record)


def test_a_line_of_an_order_names_the_order_and_the_trace() -> None:
    with tracer.start_as_current_span("request") as span, order_logging("A1"):
        formatted = line()
    trace_id = format(span.get_span_context().trace_id, "032x")
    assert formatted.endswith(f" INFO tests order_id=A1 trace_id={trace_id}: hello")


def test_a_line_about_no_order_has_neither() -> None:
    assert line().endswith(" INFO tests: hello")
    with order_logging("A2"):
        pass
    assert "order_id" not in line()


async def test_an_activity_line_names_the_order_of_its_workflow() -> None:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, workflow_id="order-A3")

    @activity.defn
    async def logs() -> str:
        return line()

    assert "INFO tests order_id=A3: hello" in await env.run(logs)


@pytest.mark.parametrize(
    ("headers", "query", "expected"),
    [
        ([(b"idempotency-key", b"order-A4:reserve_inventory")], b"", "A4"),
        ([(b"Idempotency-Key", b"order-A6:0193a5b2:refund_payment:ch_1")], b"", "A6"),
        ([], b"order_id=A5&status=reserved", "A5"),
        ([(b"idempotency-key", b"something-else")], b"", None),
        ([], b"", None),
    ],
)
def test_a_participant_request_names_its_order(
    headers: list[tuple[bytes, bytes]], query: bytes, expected: str | None
) -> None:
    assert service_order_of({"headers": headers, "query_string": query}) == expected


def test_an_api_request_names_the_order_in_its_path() -> None:
    assert api_order_of({"path": "/orders/A6"}) == "A6"
    assert api_order_of({"path": "/orders/A6/cancel"}) == "A6"
    assert api_order_of({"path": "/orders"}) is None
