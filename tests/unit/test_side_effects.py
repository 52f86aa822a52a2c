"""The consumers' pure parts: retry delays, money, dead-letter reasons, emails, SMTP answers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from email.message import EmailMessage

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from pydantic import ValidationError

from orders.events import parse_event
from tests.sample_events import cancelled_event, completed_event, failed_event
from tools.stack.processes import free_port
from workers.consumer.deadletter import header_value, invalid_event_reason, order_id_hint
from workers.consumer.handler import PermanentFailure
from workers.consumer.money import format_money, whole_units
from workers.consumer.settings import RetryPolicy
from workers.loyalty.handler import points_for
from workers.notification.compose import compose, message_id
from workers.notification.smtp import SmtpSender


def test_retry_delays_double_from_the_base_up_to_the_cap() -> None:
    policy = RetryPolicy(max_attempts=5, base_seconds=1.0, cap_seconds=5.0)
    assert [policy.delay(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert [policy.retries(n) for n in range(1, 6)] == [True, True, True, True, False]


@pytest.mark.parametrize(
    ("amount", "currency", "text", "whole"),
    [
        (7599, "USD", "75.99 USD", 75),
        (123456789, "EUR", "1,234,567.89 EUR", 1234567),
        (5000, "JPY", "5,000 JPY", 5000),
        (1234, "KWD", "1.234 KWD", 1),
        (5, "USD", "0.05 USD", 0),
    ],
)
def test_money_in_minor_units(amount: int, currency: str, text: str, whole: int) -> None:
    assert format_money(amount, currency) == text
    assert whole_units(amount, currency) == whole


def test_points_are_whole_currency_units_of_the_total() -> None:
    event = completed_event("ord-1")
    assert points_for(event) == 75
    unpriced = completed_event("ord-2")
    unpriced.data.total = None
    assert points_for(unpriced) == 0


def test_an_invalid_event_reason_names_the_fields() -> None:
    with pytest.raises(ValidationError) as not_json:
        parse_event(b"{not json")
    assert invalid_event_reason(not_json.value).startswith("invalid event: payload: Invalid JSON")

    document = completed_event("ord-1").model_dump(mode="json")
    del document["data"]["customer"]
    document["traceparent"] = "nope"
    with pytest.raises(ValidationError) as invalid:
        parse_event(json.dumps(document))
    reason = invalid_event_reason(invalid.value)
    assert "traceparent" in reason and "data.customer: Field required" in reason
    assert order_id_hint(json.dumps(document).encode()) == "ord-1"
    assert order_id_hint(b"\xff\xfe") is None
    assert order_id_hint(b"[1, 2]") is None


def test_a_header_value_is_one_bounded_line() -> None:
    assert header_value("a\r\nb\n  c") == "a b c"
    assert len(header_value("x" * 5000)) == 500


def test_the_confirmation_email() -> None:
    event = completed_event("ord-1")
    message = compose(event, "orders@hybrid-orders.example")
    assert message["Subject"] == "Your order ord-1 is confirmed"
    assert message["To"] == "ada@example.com"
    assert message["Message-ID"] == message_id(event.id)
    assert message_id(event.id) == message_id(completed_event("ord-1").id)
    assert message_id(event.id) != message_id(completed_event("ord-2").id)
    text = message.get_content()
    assert "2 x WIDGET-1" in text and "50.00 USD" in text and "75.99 USD" in text
    assert "Royal Mail" in text and "RM123456789GB" in text


def test_failure_and_cancel_emails_say_what_happened_to_the_money() -> None:
    declined = compose(failed_event("ord-1", customer_id="cust-9"), "from@example.com")
    assert declined["To"] == "cust-9@customers.example.com"
    assert declined["Subject"] == "We could not complete your order ord-1"
    assert "your payment was declined. You have not been charged." in declined.get_content()

    stuck = failed_event("ord-2")
    stuck.data.compensations = ["cancel_shipment"]
    stuck.data.left_to_undo = ["refund_payment", "release_inventory"]
    assert "Your refund is delayed" in compose(stuck, "f@example.com").get_content()

    cancelled = compose(cancelled_event("ord-3"), "from@example.com")
    assert cancelled["Subject"] == "Your order ord-3 is cancelled"
    assert "Any payment taken has been refunded." in cancelled.get_content()


class Refusing:
    """An SMTP server's handler answering RCPT with a fixed code."""

    def __init__(self, answer: str) -> None:
        self.answer = answer

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        return self.answer


@pytest.fixture
async def refusing_server() -> AsyncIterator[tuple[int, Refusing]]:
    loop = asyncio.get_running_loop()
    handler = Refusing("550 5.1.1 no such user")
    port = free_port()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="test", loop=loop), "127.0.0.1", port
    )
    try:
        yield port, handler
    finally:
        server.close()
        await server.wait_closed()


def _message() -> EmailMessage:
    return compose(completed_event("ord-1"), "orders@hybrid-orders.example")


async def test_smtp_5xx_for_the_recipient_is_permanent_and_4xx_transient(
    refusing_server: tuple[int, Refusing],
) -> None:
    port, handler = refusing_server
    sender = SmtpSender("127.0.0.1", port, timeout=5)
    with pytest.raises(PermanentFailure, match="recipients refused"):
        await sender.send(_message())
    handler.answer = "451 4.3.0 try again later"
    with pytest.raises(Exception) as transient:
        await sender.send(_message())
    assert not isinstance(transient.value, PermanentFailure)


async def test_smtp_connection_refused_is_transient() -> None:
    sender = SmtpSender("127.0.0.1", free_port(), timeout=5)
    with pytest.raises(ConnectionRefusedError):
        await sender.send(_message())
