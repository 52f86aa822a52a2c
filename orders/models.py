"""Order, workflow and activity models: the data every process agrees on.

Money is integer minor units (cents) with an ISO 4217 currency code, never float. New fields are
added with defaults only, so that histories written by older code still decode.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from orders.events import OrderEvent
from orders.fields import CountryCode, CurrencyCode, MinorUnits, NonEmpty, OrderId, Quantity, Sku


class OrderStatus(StrEnum):
    RECEIVED = "RECEIVED"
    RESERVING_INVENTORY = "RESERVING_INVENTORY"
    CHARGING_PAYMENT = "CHARGING_PAYMENT"
    SCHEDULING_SHIPMENT = "SCHEDULING_SHIPMENT"
    COMPLETED = "COMPLETED"
    COMPENSATING = "COMPENSATING"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    COMPENSATION_FAILED = "COMPENSATION_FAILED"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset(
    {
        OrderStatus.COMPLETED,
        OrderStatus.FAILED,
        OrderStatus.CANCELLED,
        OrderStatus.COMPENSATION_FAILED,
    }
)


class Step(StrEnum):
    """Forward steps of the critical path, in the order they run."""

    RESERVE_INVENTORY = "reserve_inventory"
    CHARGE_PAYMENT = "charge_payment"
    SCHEDULE_SHIPMENT = "schedule_shipment"


class Compensation(StrEnum):
    """The undo of each forward step."""

    RELEASE_INVENTORY = "release_inventory"
    REFUND_PAYMENT = "refund_payment"
    CANCEL_SHIPMENT = "cancel_shipment"


class Outcome(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Finish(StrEnum):
    """How an operator finishes an order left COMPENSATION_FAILED."""

    RETRY = "retry"
    """The workflow runs the undos left again."""
    BY_HAND = "by_hand"
    """A person did them outside the system; the order records who and why."""


# --- the order --------------------------------------------------------------------------------


class LineItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    sku: Sku
    quantity: Quantity


class Address(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: NonEmpty
    line1: NonEmpty
    line2: str | None = Field(default=None, max_length=200)
    city: NonEmpty
    postal_code: NonEmpty
    country: CountryCode


class OrderInput(BaseModel):
    """The workflow's input: the order as submitted. No prices: the catalog owns them."""

    order_id: OrderId
    customer_id: NonEmpty
    currency: CurrencyCode
    items: list[LineItem] = Field(min_length=1, max_length=100)
    payment_token: NonEmpty = Field(repr=False)  # kept out of reprs, so out of logged errors
    shipping_address: Address
    customer_email: str | None = None
    local_activities: bool = False
    """Run the participant calls as local activities. Chosen by the API's settings when the order
    is submitted and kept in the history, so a replay runs them the way they first ran; how the
    order runs, not what it is, so not part of its fingerprint."""


# --- what the workflow reports ----------------------------------------------------------------


class StepRecord(BaseModel):
    """One forward step or compensation as it ran."""

    name: str
    outcome: Outcome
    attempts: int = 0
    started_at: datetime
    finished_at: datetime | None = None
    detail: str | None = None


class Failure(BaseModel):
    type: str
    message: str
    step: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class Resolution(BaseModel):
    """An operator's finish of an order left COMPENSATION_FAILED."""

    action: Finish
    operator: str
    note: str = ""
    undos: list[str] = Field(description="What was left to undo when the operator acted.")
    at: datetime


class OrderState(BaseModel):
    """What the `status` query returns and the workflow's result."""

    order_id: str
    customer_id: str
    status: OrderStatus
    currency: str
    items: list[LineItem]
    total: MinorUnits | None = None
    reservation_id: str | None = None
    charge_id: str | None = None
    shipment_id: str | None = None
    steps: list[StepRecord] = Field(default_factory=list)
    compensations: list[StepRecord] = Field(default_factory=list)
    failure: Failure | None = None
    cancel_reason: str | None = None
    left_to_undo: list[str] = Field(
        default_factory=list,
        description="Compensations that failed for good (status COMPENSATION_FAILED).",
    )
    events: list[str] = Field(
        default_factory=list, description="Ids of the events published about this order."
    )
    resolutions: list[Resolution] = Field(
        default_factory=list,
        description="What operators did about an order left COMPENSATION_FAILED, in order.",
    )


MAX_SETTLED_WAIT_SECONDS = 600.0
"""The longest a `settled` update may wait: each one holds one of the server's 10 update slots
of the order for as long as it waits."""


class SettledRequest(BaseModel):
    """Wait for the critical path to settle; `fingerprint` must match the running order's."""

    fingerprint: str
    wait_seconds: float | None = Field(default=None, gt=0, le=MAX_SETTLED_WAIT_SECONDS)
    """Answer with the state as it stands once this much time has passed unsettled. None (the
    callers from before the bound) waits until the order settles."""


class CancelRequest(BaseModel):
    reason: str = Field(default="customer request", max_length=500)


class FinishRequest(BaseModel):
    """An operator finishing an order left COMPENSATION_FAILED: `by_hand` needs a note."""

    action: Finish
    operator: NonEmpty
    note: str = Field(default="", max_length=1000)


class FinishResult(BaseModel):
    order_id: str
    status: OrderStatus
    """The status when the finish was accepted: the undos run next, or the order settles."""
    left_to_undo: list[str]


class CancelResult(BaseModel):
    order_id: str
    status: OrderStatus
    """The status when the cancel was accepted; compensation follows."""


# --- activity inputs and results --------------------------------------------------------------

Saga = Annotated[
    str | None,
    Field(
        description=(
            "The order's workflow (its first run id): it names this order's work at the "
            "participants, so an order id used again once its first workflow is past retention "
            "starts afresh. None for orders started before patch `saga-scoped-keys`, keyed by "
            "order id alone."
        )
    ),
]


class ReserveInventoryInput(BaseModel):
    order_id: str
    currency: str
    items: list[LineItem]
    saga: Saga = None


class ReservationLine(BaseModel):
    sku: str
    quantity: int
    unit_price: MinorUnits
    line_total: MinorUnits


class Reservation(BaseModel):
    id: str
    order_id: str
    lines: list[ReservationLine]
    total: MinorUnits
    currency: str
    attempt: int = 1


class ChargePaymentInput(BaseModel):
    order_id: str
    amount: MinorUnits
    currency: str
    token: str = Field(repr=False)
    saga: Saga = None


class Charge(BaseModel):
    id: str
    order_id: str
    amount: MinorUnits
    currency: str
    attempt: int = 1


class ScheduleShipmentInput(BaseModel):
    order_id: str
    address: Address
    items: list[LineItem]
    saga: Saga = None


class Shipment(BaseModel):
    id: str
    order_id: str
    carrier: str | None = None
    tracking_number: str | None = None
    attempt: int = 1


class UndoInput(BaseModel):
    """An undo finds what its step did, which may be nothing: the record the step's request
    created (by `saga`), or, for orders from before sagas, every record of the order."""

    order_id: str
    saga: Saga = None


class UndoResult(BaseModel):
    undone: list[str] = Field(default_factory=list, description="Ids of the records undone now.")
    attempt: int = 1


class PublishEventInput(BaseModel):
    event: OrderEvent


class PublishResult(BaseModel):
    event_id: str
    stream_seq: int
    duplicate: bool = Field(description="The stream had it already: an earlier attempt landed.")


def order_fingerprint(order: OrderInput) -> str:
    """A stable hash of an order's content: same id and same fingerprint is the same order.

    A field at its default is left out, so that a field added later (with a default, as every
    new field is) does not change the fingerprint of an order placed before it: a resubmission
    of that order still matches the fingerprint in its workflow's memo. The first version's two
    optional fields are always in, as that version hashed them.
    """
    content = order.model_dump(mode="json", exclude={"local_activities"}, exclude_defaults=True)
    content.setdefault("customer_email", None)
    content["shipping_address"].setdefault("line2", None)
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def minor_unit_digits(currency: str) -> int:
    """2 for USD, 0 for JPY, 3 for KWD (ISO 4217), from the one table below."""
    return _MINOR_UNIT_DIGITS.get(currency, 2)


def to_major_units(amount: int, currency: str) -> float:
    """For the `OrderTotal` search attribute only; never for arithmetic or display."""
    return amount / float(10 ** minor_unit_digits(currency))


def format_money(amount: int, currency: str) -> str:
    """`1,234.50 USD`, exactly: integer arithmetic, the currency's own number of decimals."""
    digits = minor_unit_digits(currency)
    major, minor = divmod(abs(amount), 10**digits)
    fraction = f".{minor:0{digits}d}" if digits else ""
    return f"{'-' if amount < 0 else ''}{major:,}{fraction} {currency}"


_MINOR_UNIT_DIGITS = {"JPY": 0, "KRW": 0, "CLP": 0, "VND": 0, "BHD": 3, "KWD": 3}
