"""What the API accepts and answers: purpose-split, validated at the edge, with examples."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from orders.models import (
    Address,
    Failure,
    Finish,
    LineItem,
    OrderInput,
    OrderStatus,
    Resolution,
    StepRecord,
)


def _country(code: str) -> str:
    if pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return code


def _currency(code: str) -> str:
    if pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"{code!r} is not an ISO 4217 currency code")
    return code


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$"), AfterValidator(_country)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), AfterValidator(_currency)]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]
OrderId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"),
    Field(description="Your id for the order: the idempotency key of the submission."),
]

ADDRESS_EXAMPLE: dict[str, Any] = {
    "name": "Ada Lovelace",
    "line1": "12 St James's Square",
    "city": "London",
    "postal_code": "SW1Y 4JH",
    "country": "GB",
}
ORDER_EXAMPLE: dict[str, Any] = {
    "order_id": "A-1001",
    "customer_id": "cust-42",
    "customer_email": "ada@example.com",
    "currency": "USD",
    "items": [{"sku": "WIDGET-1", "quantity": 2}, {"sku": "GADGET-2", "quantity": 1}],
    "payment_token": "tok_visa",
    "shipping_address": ADDRESS_EXAMPLE,
}
LINKS_EXAMPLE: dict[str, Any] = {
    "self": "/orders/A-1001",
    "temporal_ui": "http://localhost:8233/namespaces/default/workflows/order-A-1001",
}


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ADDRESS_EXAMPLE]})

    name: Text
    line1: Text
    line2: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    city: Text
    postal_code: Text
    country: Country


class LineItemIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"sku": "WIDGET-1", "quantity": 2}]}
    )

    sku: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    quantity: int = Field(ge=1, le=1000)


class OrderCreate(BaseModel):
    """An order as a client submits it. No prices: the catalog owns them."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ORDER_EXAMPLE]})

    order_id: OrderId | None = None
    customer_id: Text
    customer_email: Email | None = Field(default=None, description="Where confirmations go.")
    currency: Currency
    items: list[LineItemIn] = Field(min_length=1, max_length=100)
    payment_token: Text = Field(repr=False)
    shipping_address: AddressIn

    def to_input(self, order_id: str, *, local_activities: bool = False) -> OrderInput:
        return OrderInput(
            order_id=order_id,
            customer_id=self.customer_id,
            currency=self.currency,
            items=[LineItem(sku=item.sku, quantity=item.quantity) for item in self.items],
            payment_token=self.payment_token,
            shipping_address=Address(**self.shipping_address.model_dump()),
            customer_email=self.customer_email,
            local_activities=local_activities,
        )


class OrderLinks(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [LINKS_EXAMPLE]})

    self: str
    temporal_ui: str = Field(description="The order's workflow in the Temporal Web UI.")


class OrderPublic(BaseModel):
    """An order as the API shows it: where it is on its critical path, and why."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "order_id": "A-1001",
                    "status": "COMPLETED",
                    "customer_id": "cust-42",
                    "total": 7500,
                    "currency": "USD",
                    "items": ORDER_EXAMPLE["items"],
                    "steps": [
                        {
                            "name": "reserve_inventory",
                            "outcome": "succeeded",
                            "attempts": 1,
                            "started_at": "2026-11-23T10:00:00Z",
                            "finished_at": "2026-11-23T10:00:00.1Z",
                        }
                    ],
                    "compensations": [],
                    "failure": None,
                    "links": LINKS_EXAMPLE,
                }
            ]
        }
    )

    order_id: str
    status: OrderStatus
    customer_id: str
    total: int | None = Field(default=None, description="Minor units (cents), once priced.")
    currency: str | None = None
    items: list[LineItem] = Field(default_factory=list)
    steps: list[StepRecord] = Field(default_factory=list)
    compensations: list[StepRecord] = Field(default_factory=list)
    failure: Failure | None = None
    cancel_reason: str | None = None
    left_to_undo: list[str] = Field(default_factory=list)
    events: list[str] = Field(
        default_factory=list, description="Ids of the events published about the order."
    )
    resolutions: list[Resolution] = Field(
        default_factory=list,
        description="What operators did about the order while it was left COMPENSATION_FAILED.",
    )
    links: OrderLinks


class OrderSummary(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "order_id": "A-1001",
                    "status": "COMPLETED",
                    "customer_id": "cust-42",
                    "order_total": 75.0,
                    "started_at": "2026-11-23T10:00:00Z",
                    "closed_at": "2026-11-23T10:00:01Z",
                    "links": LINKS_EXAMPLE,
                }
            ]
        }
    )

    order_id: str
    status: OrderStatus | None
    customer_id: str | None
    order_total: float | None = Field(
        default=None, description="The OrderTotal search attribute (major units), for display."
    )
    started_at: datetime
    closed_at: datetime | None
    links: OrderLinks


class OrderPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"orders": [], "next_page_token": None}]}
    )

    orders: list[OrderSummary]
    next_page_token: str | None = Field(
        default=None, description="Pass as `page_token` for the next page; null on the last."
    )


class CancelCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "ordered by mistake"}]}
    )

    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = (
        "customer request"
    )


class CancelAccepted(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"order_id": "A-1001", "status": "CHARGING_PAYMENT", "links": LINKS_EXAMPLE}
            ]
        }
    )

    order_id: str
    status: OrderStatus = Field(description="The status when the cancel was accepted.")
    links: OrderLinks


class FinishCreate(BaseModel):
    """How an operator finishes an order left COMPENSATION_FAILED."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"action": "retry", "note": "payment's refunds work again"},
                {"action": "by_hand", "note": "refunded in the PSP dashboard, ticket 4711"},
            ]
        },
    )

    action: Finish = Field(
        description="`retry`: the workflow runs the undos left again. `by_hand`: a person did "
        "them outside the system (say what, and where, in `note`)."
    )
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""

    @model_validator(mode="after")
    def _by_hand_says_what(self) -> FinishCreate:
        if self.action is Finish.BY_HAND and not self.note:
            raise ValueError("a note is required with by_hand: what was done, and where")
        return self


class FinishAccepted(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "order_id": "A-1001",
                    "status": "COMPENSATION_FAILED",
                    "left_to_undo": ["refund_payment"],
                    "links": LINKS_EXAMPLE,
                }
            ]
        }
    )

    order_id: str
    status: OrderStatus = Field(description="The status when the finish was accepted.")
    left_to_undo: list[str]
    links: OrderLinks


class Health(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: str
    detail: dict[str, Any] = Field(default_factory=dict)
