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
            key=idempotency_key(request.order_id, Step.SCHEDULE_SHIPMENT, saga=request.saga),
            json=request.model_dump(mode="json", exclude={"saga"}),
            rejections={"undeliverable": Undeliverable},
        )
        return Shipment.model_validate({**body, "attempt": activity.info().attempt})

    @activity.defn(name=ActivityName.CANCEL_SHIPMENT)
    async def cancel(self, request: UndoInput) -> UndoResult:
        """Cancel every scheduled shipment of the order; none at all is a success."""
        undone = await self._shipping.undo_all(
            "/shipments",
            order_id=request.order_id,
            saga=request.saga,
            step=Step.SCHEDULE_SHIPMENT,
            undo=Compensation.CANCEL_SHIPMENT,
            live="scheduled",
            action="cancel",
        )
        return UndoResult(undone=undone, attempt=activity.info().attempt)
