"""The email each event becomes: pure functions of the event, so a resend is byte-identical."""

from __future__ import annotations

import hashlib
from email.message import EmailMessage
from email.utils import format_datetime

from orders.events import OrderCancelled, OrderCompleted, OrderFailed
from orders.models import Compensation
from workers.consumer.handler import Event
from workers.consumer.money import format_money

CUSTOMER_DOMAIN = "customers.example.com"
SIGNATURE = "\n-- \nhybrid-orders\n"

_REASONS = {
    "OutOfStock": "some of the items are out of stock",
    "UnknownProduct": "some of the items are not in our catalogue",
    "UnsupportedCurrency": "we cannot take payment in that currency",
    "PaymentDeclined": "your payment was declined",
    "Undeliverable": "we cannot deliver to the shipping address",
    "StepTimedOut": "one of our systems did not answer in time",
}


def message_id(event_id: str) -> str:
    """The same Message-ID for every send of one event, so a duplicate can be recognised."""
    return f"<{hashlib.sha256(event_id.encode()).hexdigest()[:32]}@hybrid-orders>"


def recipient(event: Event) -> str:
    customer = event.data.customer
    return customer.email or f"{customer.id}@{CUSTOMER_DOMAIN}"


def human_reason(failure_type: str) -> str:
    return _REASONS.get(failure_type, "of a problem on our side")


def compose(event: Event, mail_from: str) -> EmailMessage:
    subject, body = _content(event)
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = recipient(event)
    message["Subject"] = subject
    message["Date"] = format_datetime(event.time)
    message["Message-ID"] = message_id(event.id)
    message["X-Order-Id"] = event.data.order_id
    message["X-Event-Id"] = event.id
    message.set_content(f"Hello {event.data.customer.name},\n\n{body}{SIGNATURE}")
    return message


def _content(event: Event) -> tuple[str, str]:
    order_id = event.data.order_id
    if isinstance(event, OrderCompleted):
        return f"Your order {order_id} is confirmed", _completed(event)
    if isinstance(event, OrderFailed):
        return f"We could not complete your order {order_id}", _failed(event)
    return f"Your order {order_id} is cancelled", _cancelled(event)


def _completed(event: OrderCompleted) -> str:
    data = event.data
    lines = [f"Thank you: your order {data.order_id} is confirmed.", ""]
    for line in data.lines:
        price = format_money(line.line_total, data.currency) if line.line_total is not None else ""
        lines.append(f"  {line.quantity:>4} x {line.sku:<24} {price:>16}")
    lines += [f"  {'Total':<31} {format_money(data.total, data.currency):>16}", ""]
    if data.carrier and data.tracking_number:
        lines.append(f"It ships with {data.carrier}, tracking number {data.tracking_number}.")
    else:
        lines.append("We will send the tracking details as soon as we have them.")
    return "\n".join(lines) + "\n"


def _refund_sentence(compensations: list[str], left_to_undo: list[str]) -> str:
    # The refund is registered before the charge runs, so a charge that may have happened has
    # its refund either done (`compensations`) or stuck (`left_to_undo`).
    refund = Compensation.REFUND_PAYMENT.value
    if refund in left_to_undo:
        return "Your refund is delayed: our team is on it and will write to you when it is done."
    if refund in compensations:
        return "Any payment taken has been refunded."
    return "You have not been charged."


def _failed(event: OrderFailed) -> str:
    data = event.data
    refund = _refund_sentence(data.compensations, data.left_to_undo)
    return (
        f"We are sorry: we could not complete your order {data.order_id} because "
        f"{human_reason(data.failure_type)}. {refund}\n"
    )


def _cancelled(event: OrderCancelled) -> str:
    data = event.data
    reason = f" ({data.reason})" if data.reason else ""
    return (
        f"Your order {data.order_id} is cancelled, as you asked{reason}. "
        f"{_refund_sentence(data.compensations, data.left_to_undo)}\n"
    )
