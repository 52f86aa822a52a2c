"""Failures fit what the server keeps of a retrying step, through the real encrypting converter.

Over `SERVER_LIMIT` the server keeps "Failure exceeds size limit." instead of the failure (see
`orders.failure_converter`), so every size here is measured on the failure as it is sent: encoded
by `orders.encryption.data_converter`, attributes sealed with the test key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn

import httpcore
import httpx
import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.shipping import ShippingActivities
from orders.codec import EncryptionCodec, KeyRing, new_key
from orders.encryption import data_converter
from orders.failure_converter import SEALING_ALLOWANCE, SERVER_LIMIT
from orders.models import Address, LineItem, ScheduleShipmentInput

Handler = Callable[[httpx.Request], httpx.Response]
SHIP = ScheduleShipmentInput(
    order_id="o-1",
    address=Address(name="A", line1="1 Road", city="Town", postal_code="1", country="GB"),
    items=[LineItem(sku="WIDGET-1", quantity=2)],
)
LONG = "x" * 5000


def _through_the_stack(depth: int, exc: BaseException) -> NoReturn:
    # A fault raised many frames down, as it is inside httpx and httpcore: a long stack trace.
    if depth:
        _through_the_stack(depth - 1, exc)
    raise exc


def read_timeout(request: httpx.Request) -> httpx.Response:
    """A ReadTimeout the way httpx raises one: from httpcore's, from the socket's, all long."""
    try:
        try:
            _through_the_stack(20, TimeoutError(f"socket read timed out {LONG}"))
        except TimeoutError as exc:
            raise httpcore.ReadTimeout(f"httpcore read timed out {LONG}") from exc
    except httpcore.ReadTimeout as exc:
        raise httpx.ReadTimeout(f"timed out {LONG}", request=request) from exc


def refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError(f"[Errno 111] Connection refused {LONG}", request=request)


def long_problem(request: httpx.Request) -> httpx.Response:
    return httpx.Response(503, json={"detail": LONG, "title": "busy", "status": 503})


async def sent(exception: BaseException) -> Failure:
    """The failure as the worker sends it: encoded, sealed."""
    failure = Failure()
    await data_converter().encode_failure(exception, failure)
    return failure


async def shipping_fault(handler: Handler) -> Exception:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://shipping")
    with pytest.raises(Exception) as caught:
        await ActivityEnvironment().run(ShippingActivities(http).schedule, SHIP)
    return caught.value


@pytest.mark.parametrize(
    ("handler", "reason"),
    [
        (read_timeout, "ReadTimeout"),
        (refused, "ConnectError: [Errno 111] Connection refused"),
        (long_problem, "answered 503"),
    ],
    ids=["read-timeout", "connect-error", "503-long-detail"],
)
async def test_a_transport_fault_is_sent_small_and_keeps_its_reason(
    handler: Handler, reason: str
) -> None:
    failure = await sent(await shipping_fault(handler))

    size = failure.ByteSize()
    assert size <= SERVER_LIMIT // 4, f"{size} bytes"
    assert not failure.HasField("cause")  # the message already says what the cause was
    decoded = await data_converter().decode_failure(failure)
    assert isinstance(decoded, ApplicationError) and decoded.type == "ParticipantUnavailable"
    assert decoded.message.startswith("shipping "), decoded.message
    assert "on POST /shipments" in decoded.message and reason in decoded.message
    assert not _stack_trace(decoded)  # raised at one place, for an expected fault


def _stack_trace(error: ApplicationError) -> str:
    return error.failure.stack_trace if error.failure else ""


def _chain(depth: int) -> KeyError:
    """An unexpected error from deep in a stack, over `depth` causes as long as it."""
    error: KeyError | None = None
    for level in range(depth, -1, -1):
        try:
            _through_the_stack(10, KeyError(f"level {level}: {LONG}"))
        except KeyError as exc:
            exc.__cause__, error = error, exc
    assert error is not None
    return error


async def test_any_failure_is_cut_to_what_the_server_keeps_and_leads_with_its_reason() -> None:
    failure = await sent(_chain(depth=5))

    size = failure.ByteSize()
    assert size <= SERVER_LIMIT, f"{size} bytes"
    decoded = await data_converter().decode_failure(failure)
    assert isinstance(decoded, ApplicationError) and decoded.type == "KeyError"
    assert decoded.message.startswith("'level 0: xxx"), decoded.message[:40]


async def test_a_failure_that_fits_is_sent_whole() -> None:
    try:
        try:
            _through_the_stack(3, ValueError("the participant's body is not JSON"))
        except ValueError as exc:
            raise RuntimeError("could not read the answer") from exc
    except RuntimeError as exc:
        error = exc
    failure = await sent(error)
    decoded = await data_converter().decode_failure(failure)

    assert isinstance(decoded, ApplicationError) and decoded.message == "could not read the answer"
    assert "_through_the_stack" not in _stack_trace(decoded)  # the trace of the top, not the cause
    assert _stack_trace(decoded)
    cause = decoded.__cause__
    assert isinstance(cause, ApplicationError) and cause.type == "ValueError"
    assert cause.message == "the participant's body is not JSON"
    assert "_through_the_stack" in _stack_trace(cause)
    # Sent again as a workflow re-raises it: the sealed causes stay sealed, and decode the same.
    again = await data_converter().decode_failure(await sent(decoded))
    assert isinstance(again, ApplicationError) and isinstance(again.__cause__, ApplicationError)
    assert (again.message, again.__cause__.message) == (decoded.message, cause.message)


def test_sealing_grows_a_payload_by_at_most_the_allowance() -> None:
    codec = EncryptionCodec(KeyRing.parse(new_key("k" * 64)))
    payload = Payload(metadata={"encoding": b"json/plain"}, data=b"x" * 3000)
    assert codec.seal(payload).ByteSize() - payload.ByteSize() <= SEALING_ALLOWANCE
