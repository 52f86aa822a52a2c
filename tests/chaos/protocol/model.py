"""What was asked of one order, and what the order may therefore become. No I/O: the machine
tells it what it asked and what it saw, and asks it what is allowed.

The rules it encodes (docs/workflow.md and docs/api.md):

- FAILED only for a business failure, named by the failure at the step where the body stops
  the saga;
- CANCELLED only after an accepted cancel: a 202 from `POST /orders/{id}/cancel`, or a
  Temporal cancellation that reached the workflow while the order was in flight. One that
  reached it while a failure was being compensated leaves the order FAILED, and one that
  reached it once the order had settled changes nothing;
- COMPLETED only for a body that can complete, with no accepted cancel;
- a cancel whose answer was a documented 503 (no worker took it in time) may still take effect;
- statuses only move forward along the saga, and a settled order stays settled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cli.audit.checks import NOUNS, UNDONE
from orders.models import OrderStatus
from tests.chaos.protocol.bodies import Body

IN_FLIGHT = frozenset(
    {
        OrderStatus.RECEIVED,
        OrderStatus.RESERVING_INVENTORY,
        OrderStatus.CHARGING_PAYMENT,
        OrderStatus.SCHEDULING_SHIPMENT,
    }
)
RANK = {
    OrderStatus.RECEIVED: 0,
    OrderStatus.RESERVING_INVENTORY: 1,
    OrderStatus.CHARGING_PAYMENT: 2,
    OrderStatus.SCHEDULING_SHIPMENT: 3,
    OrderStatus.COMPENSATING: 4,
}
"""Where a status is along the saga; every settled status ranks after all of these."""


class Naming(StrEnum):
    """How the submission names its order."""

    KEY = "Idempotency-Key"
    ID = "order_id"
    NONE = "neither"


class CancelAnswer(StrEnum):
    ACCEPTED = "accepted"
    """202: compensation starts, or will once the step in flight settles."""
    REJECTED = "rejected"
    """409 cannot_cancel: settled, or compensating a failure."""
    MAYBE = "maybe"
    """A documented 503: no worker took it in time; it may still take effect."""


class ModelViolation(AssertionError):
    """The system did something the model of what was asked does not allow."""


@dataclass(eq=False)
class OrderModel:
    number: int
    naming: Naming
    body: Body
    key: str | None = None
    order_id: str | None = None
    """Chosen by the model (`order_id`), or learnt from the first answer that named it."""
    placed: bool = False
    """A 2xx answer said the order exists."""
    maybe_placed: bool = False
    """A request that may have placed it had a documented 503 for an answer."""
    api_cancels: list[CancelAnswer] = field(default_factory=list)
    temporal_cancels: int = 0
    seen: list[OrderStatus] = field(default_factory=list)
    final: OrderStatus | None = None
    total: int | None = None
    records_checked: bool = False

    def __repr__(self) -> str:
        return (
            f"order#{self.number}({self.naming.value}, {self.body.outcome.value}, "
            f"{self.order_id or 'no id yet'})"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))  # hypothesis prints a drawn order as this, not field by field

    @property
    def exists(self) -> bool:
        return self.placed or self.maybe_placed

    def story(self) -> str:
        """What was asked of it and what was seen, for a violation's message."""
        cancels = ", ".join(answer.value for answer in self.api_cancels) or "none"
        seen = " → ".join(dict.fromkeys(s.value for s in self.seen)) or "nothing"
        return (
            f"{self!r}: body {self.body!r}; API cancels: {cancels}; "
            f"Temporal cancels: {self.temporal_cancels}; statuses seen: {seen}"
        )

    def observe(self, status: OrderStatus) -> None:
        """A status an answer showed: never behind one seen before, never off a settled one."""
        if self.seen:
            last = self.seen[-1]
            if last.is_terminal and status is not last:
                raise ModelViolation(f"{self.story()}: seen {last.value}, then {status.value}")
            if not status.is_terminal and RANK[status] < RANK.get(last, 99):
                raise ModelViolation(f"{self.story()}: went back from {last.value} to {status}")
        self.seen.append(status)

    def allowed(self, cancel_reached_at: OrderStatus | None) -> frozenset[OrderStatus]:
        """The settled statuses the order may end in. `cancel_reached_at` is the status the
        order had when the workflow received its first Temporal cancellation, if it did."""
        base = OrderStatus.FAILED if self.body.fails_at else OrderStatus.COMPLETED
        temporal_accepted = cancel_reached_at in IN_FLIGHT
        if CancelAnswer.ACCEPTED in self.api_cancels or temporal_accepted:
            return frozenset({OrderStatus.CANCELLED})
        if CancelAnswer.MAYBE in self.api_cancels:
            return frozenset({OrderStatus.CANCELLED, base})
        return frozenset({base})

    def settle(
        self,
        status: OrderStatus,
        failure: dict[str, Any] | None,
        cancel_reached_at: OrderStatus | None,
    ) -> None:
        """The order has settled: its status, and its failure, must be what was asked for."""
        allowed = self.allowed(cancel_reached_at)
        reached = (
            f" (a Temporal cancel reached it at {cancel_reached_at.value})"
            if cancel_reached_at
            else ""
        )
        if status not in allowed:
            names = "/".join(sorted(s.value for s in allowed))
            raise ModelViolation(f"{self.story()}{reached}: ended {status.value}, want {names}")
        if status is OrderStatus.FAILED:
            assert self.body.fails_at is not None
            step, kind = self.body.fails_at
            got = (failure or {}).get("step"), (failure or {}).get("type")
            if got != (step.value, kind):
                raise ModelViolation(f"{self.story()}: FAILED with {got}, want {(step, kind)}")
        if status is OrderStatus.COMPLETED and failure is not None:
            raise ModelViolation(f"{self.story()}: COMPLETED with a failure {failure}")
        self.final = status


def check_records(
    order: OrderModel, total: int | None, records: dict[str, list[dict[str, Any]]]
) -> None:
    """The participants' own records of a settled order: a COMPLETED order holds one of each
    (its one charge captured for its total), any other holds nothing that is not undone."""
    for service, found in records.items():
        kept = [r for r in found if r["status"] != UNDONE[service]]
        statuses = [f"{r['id']} {r['status']}" for r in found]
        if order.final is OrderStatus.COMPLETED:
            if len(found) != 1 or len(kept) != 1:
                raise ModelViolation(f"{order.story()}: {NOUNS[service]}s {statuses}, want one")
        elif kept:
            raise ModelViolation(f"{order.story()}: {order.final} yet {NOUNS[service]}s {statuses}")
    charges = records.get("payment", [])
    if order.final is OrderStatus.COMPLETED and [c["amount"] for c in charges] != [total]:
        raise ModelViolation(f"{order.story()}: charged {charges}, total {total}")
