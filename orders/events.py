"""The facts the critical path states when it settles: CloudEvents 1.0, structured JSON mode.

An event carries everything its consumers need (no callbacks). Its `id` is `<type>:<order_id>`,
the same on every publish attempt, and is also the `Nats-Msg-Id`, so a retried publish never
duplicates. Consumers read with `parse_event`, which accepts older minor versions and ignores
fields it does not know: add fields with defaults; a breaking change is a new `type` (`.v2`).
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

SOURCE = "/hybrid-orders/orchestrator"


class EventType(StrEnum):
    ORDER_COMPLETED = "orders.order.completed.v1"
    ORDER_FAILED = "orders.order.failed.v1"
    ORDER_CANCELLED = "orders.order.cancelled.v1"

    @property
    def kind(self) -> str:
        """`completed`, `failed` or `cancelled`: the subject token."""
        return self.value.split(".")[2]


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore")


class EventLine(_Tolerant):
    sku: str
    quantity: int
    unit_price: int | None = Field(default=None, description="Minor units; null if never priced.")
    line_total: int | None = None


class Customer(_Tolerant):
    id: str
    name: str
    email: str | None = None


class OrderFacts(_Tolerant):
    """What every order event says about its order."""

    order_id: str
    customer: Customer
    currency: str
    lines: list[EventLine]
    total: int | None = Field(default=None, description="Minor units; null if never priced.")
    placed_at: datetime


class OrderCompletedData(OrderFacts):
    reservation_id: str
    charge_id: str
    shipment_id: str
    carrier: str | None = None
    tracking_number: str | None = None
    ship_to_country: str
    completed_at: datetime


_COMPENSATIONS = "The undos that ran and succeeded, in the order they ran."
_LEFT_TO_UNDO = (
    "Undos that failed for good, which an operator must finish (the order is "
    "COMPENSATION_FAILED): for example `refund_payment` means the customer is not refunded yet. "
    "Empty when everything was undone."
)


class OrderFailedData(OrderFacts):
    failure_type: str
    failure_message: str
    failed_step: str | None = None
    compensations: list[str] = Field(default_factory=list, description=_COMPENSATIONS)
    left_to_undo: list[str] = Field(default_factory=list, description=_LEFT_TO_UNDO)
    failed_at: datetime


class OrderCancelledData(OrderFacts):
    reason: str
    compensations: list[str] = Field(default_factory=list, description=_COMPENSATIONS)
    left_to_undo: list[str] = Field(default_factory=list, description=_LEFT_TO_UNDO)
    cancelled_at: datetime


class _Envelope(_Tolerant):
    specversion: Literal["1.0"] = "1.0"
    id: str
    source: str = SOURCE
    subject: str = Field(description="The order id.")
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    correlationid: str = Field(description="Extension: the order's workflow id.")
    traceparent: str = Field(
        pattern=r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
        description="Extension: W3C trace context of the order.",
    )


class OrderCompleted(_Envelope):
    type: Literal[EventType.ORDER_COMPLETED] = EventType.ORDER_COMPLETED
    data: OrderCompletedData


class OrderFailed(_Envelope):
    type: Literal[EventType.ORDER_FAILED] = EventType.ORDER_FAILED
    data: OrderFailedData


class OrderCancelled(_Envelope):
    type: Literal[EventType.ORDER_CANCELLED] = EventType.ORDER_CANCELLED
    data: OrderCancelledData


OrderEvent = Annotated[OrderCompleted | OrderFailed | OrderCancelled, Field(discriminator="type")]
EVENT_MODELS: tuple[type[_Envelope], ...] = (OrderCompleted, OrderFailed, OrderCancelled)
_adapter: TypeAdapter[OrderCompleted | OrderFailed | OrderCancelled] = TypeAdapter(OrderEvent)


def parse_event(payload: bytes | str) -> OrderCompleted | OrderFailed | OrderCancelled:
    """Decode and validate an event; raises `pydantic.ValidationError` for anything else."""
    return _adapter.validate_json(payload)


def event_id(event_type: EventType, order_id: str) -> str:
    return f"{event_type.value}:{order_id}"


_NOT_IN_A_TOKEN = re.compile(r"[^A-Za-z0-9_-]")


def subject_token(order_id: str) -> str:
    """An order id as one NATS subject token (no dots, wildcards or spaces)."""
    return _NOT_IN_A_TOKEN.sub("_", order_id) or "_"


def event_subject(event_type: EventType, order_id: str) -> str:
    return f"orders.events.{event_type.kind}.{subject_token(order_id)}"


def json_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of each event type, as committed under `schemas/events/`."""
    schemas = {}
    for model in EVENT_MODELS:
        event_type = model.model_fields["type"].default.value
        schemas[event_type] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"urn:hybrid-orders:event:{event_type}",
            **model.model_json_schema(mode="serialization"),
        }
    return schemas
