"""Shipping activities: schedule the shipment, and cancel it."""

from __future__ import annotations

import httpx
from temporalio import activity

from activities.participant import ParticipantClient, idempotency_key
from orders.errors import Undeliverable
from orders.models import Compensation, ScheduleShipmentInput, Shipment, Step, UndoInput, UndoResult
from orders.temporal import ActivityName


class ShippingActivities:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._shipping = ParticipantClient("shipping", http)

    @activity.defn(name=ActivityName.SCHEDULE_SHIPMENT)
    async def schedule(self, request: ScheduleShipmentInput) -> Shipment:
        body = await self._shipping.post(
            "/shipments",
            key=idempotency_key(request.order_id, Step.SCHEDULE_SHIPMENT),
            json=request.model_dump(mode="json"),
            rejections={"undeliverable": Undeliverable},
        )
        return Shipment.model_validate({**body, "attempt": activity.info().attempt})

    @activity.defn(name=ActivityName.CANCEL_SHIPMENT)
    async def cancel(self, request: UndoInput) -> UndoResult:
        """Cancel every scheduled shipment of the order; none at all is a success."""
        undone = await self._shipping.undo_all(
            "/shipments",
            order_id=request.order_id,
            live="scheduled",
            action="cancel",
            key=idempotency_key(request.order_id, Compensation.CANCEL_SHIPMENT),
        )
        return UndoResult(undone=undone, attempt=activity.info().attempt)
