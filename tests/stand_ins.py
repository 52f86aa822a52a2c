"""The participants and the bus played in process, under the real activity names.

Each stand-in answers at once and records every attempt. A test makes one misbehave by name:
`unavailable` answers like a participant that is down (retryable, until the test heals it),
`refusals` answers a definite no (non-retryable).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from orders.errors import ParticipantUnavailable, Rejection
from orders.events import OrderCancelled, OrderCompleted, OrderFailed
from orders.models import (
    Charge,
    ChargePaymentInput,
    PublishEventInput,
    PublishResult,
    Reservation,
    ReservationLine,
    ReserveInventoryInput,
    ScheduleShipmentInput,
    Shipment,
    UndoInput,
    UndoResult,
)
from orders.temporal import ActivityName

UNIT_PRICE = 1500


@dataclass(frozen=True)
class Attempt:
    number: int
    started: datetime
    """When this attempt started: the backoff after the attempt before it had run out."""


class StandIns:
    def __init__(
        self,
        *,
        unavailable: Sequence[ActivityName] = (),
        refusals: Mapping[ActivityName, Rejection] | None = None,
    ) -> None:
        self.unavailable: set[ActivityName] = set(unavailable)
        self.refusals = dict(refusals or {})
        self.attempts: defaultdict[ActivityName, list[Attempt]] = defaultdict(list)
        self.published: list[OrderCompleted | OrderFailed | OrderCancelled] = []
        self.holds: dict[ActivityName, asyncio.Event] = {}
        self.held: set[ActivityName] = set()
        """Activities whose call waits on a hold right now."""

    def hold(self, name: ActivityName) -> asyncio.Event:
        """Make calls of `name` wait until the returned event is set (they show in `held`)."""
        release = self.holds[name] = asyncio.Event()
        return release

    def participants(self) -> list[Callable[..., Any]]:
        """The six participant activities; add `publish` (or the real one) for the bus."""
        return [
            self.reserve,
            self.release,
            self.charge,
            self.refund,
            self.schedule,
            self.cancel_shipment,
        ]

    def all(self) -> list[Callable[..., Any]]:
        return [*self.participants(), self.publish]

    def gaps(self, name: ActivityName) -> list[float]:
        """Seconds between the starts of consecutive attempts of `name`."""
        times = [attempt.started for attempt in self.attempts[name]]
        return [(later - earlier).total_seconds() for earlier, later in pairwise(times)]

    async def _answer(self, name: ActivityName) -> int:
        info = activity.info()
        self.attempts[name].append(Attempt(info.attempt, info.started_time))
        if (release := self.holds.get(name)) is not None:
            self.held.add(name)
            try:
                await release.wait()
            finally:
                self.held.discard(name)
        if name in self.refusals:
            raise self.refusals[name]
        if name in self.unavailable:
            # What the real adapters raise (`ParticipantUnavailable`), marked benign so that
            # hundreds of simulated hours of retries do not log hundreds of tracebacks.
            raise ApplicationError(
                f"{name} unavailable",
                type=ParticipantUnavailable.__name__,
                category=ApplicationErrorCategory.BENIGN,
            )
        return info.attempt

    @activity.defn(name=ActivityName.RESERVE_INVENTORY)
    async def reserve(self, request: ReserveInventoryInput) -> Reservation:
        attempt = await self._answer(ActivityName.RESERVE_INVENTORY)
        lines = [
            ReservationLine(
                sku=item.sku,
                quantity=item.quantity,
                unit_price=UNIT_PRICE,
                line_total=UNIT_PRICE * item.quantity,
            )
            for item in request.items
        ]
        return Reservation(
            id=f"res_{request.order_id}",
            order_id=request.order_id,
            lines=lines,
            total=sum(line.line_total for line in lines),
            currency=request.currency,
            attempt=attempt,
        )

    @activity.defn(name=ActivityName.CHARGE_PAYMENT)
    async def charge(self, request: ChargePaymentInput) -> Charge:
        attempt = await self._answer(ActivityName.CHARGE_PAYMENT)
        return Charge(
            id=f"ch_{request.order_id}",
            order_id=request.order_id,
            amount=request.amount,
            currency=request.currency,
            attempt=attempt,
        )

    @activity.defn(name=ActivityName.SCHEDULE_SHIPMENT)
    async def schedule(self, request: ScheduleShipmentInput) -> Shipment:
        attempt = await self._answer(ActivityName.SCHEDULE_SHIPMENT)
        return Shipment(
            id=f"shp_{request.order_id}",
            order_id=request.order_id,
            carrier="stand-in",
            tracking_number=f"TRK-{request.order_id}",
            attempt=attempt,
        )

    @activity.defn(name=ActivityName.RELEASE_INVENTORY)
    async def release(self, request: UndoInput) -> UndoResult:
        attempt = await self._answer(ActivityName.RELEASE_INVENTORY)
        return UndoResult(undone=[f"res_{request.order_id}"], attempt=attempt)

    @activity.defn(name=ActivityName.REFUND_PAYMENT)
    async def refund(self, request: UndoInput) -> UndoResult:
        attempt = await self._answer(ActivityName.REFUND_PAYMENT)
        return UndoResult(undone=[f"ch_{request.order_id}"], attempt=attempt)

    @activity.defn(name=ActivityName.CANCEL_SHIPMENT)
    async def cancel_shipment(self, request: UndoInput) -> UndoResult:
        attempt = await self._answer(ActivityName.CANCEL_SHIPMENT)
        return UndoResult(attempt=attempt)

    @activity.defn(name=ActivityName.PUBLISH_EVENT)
    async def publish(self, request: PublishEventInput) -> PublishResult:
        await self._answer(ActivityName.PUBLISH_EVENT)
        self.published.append(request.event)
        return PublishResult(
            event_id=request.event.id, stream_seq=len(self.published), duplicate=False
        )
