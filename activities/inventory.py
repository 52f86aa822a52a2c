"""Inventory activities: reserve stock at catalog prices, and release it."""

from __future__ import annotations

import httpx
from temporalio import activity

from activities.participant import ParticipantClient, idempotency_key
from orders.errors import OutOfStock, UnknownProduct, UnsupportedCurrency
from orders.models import (
    Compensation,
    Reservation,
    ReserveInventoryInput,
    Step,
    UndoInput,
    UndoResult,
)
from orders.temporal import ActivityName


class InventoryActivities:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._inventory = ParticipantClient("inventory", http)

    @activity.defn(name=ActivityName.RESERVE_INVENTORY)
    async def reserve(self, request: ReserveInventoryInput) -> Reservation:
        body = await self._inventory.post(
            "/reservations",
            key=idempotency_key(request.order_id, Step.RESERVE_INVENTORY, saga=request.saga),
            json=request.model_dump(mode="json", exclude={"saga"}),
            rejections={
                "out_of_stock": OutOfStock,
                "unknown_sku": UnknownProduct,
                "unsupported_currency": UnsupportedCurrency,
            },
        )
        return Reservation.model_validate({**body, "attempt": activity.info().attempt})

    @activity.defn(name=ActivityName.RELEASE_INVENTORY)
    async def release(self, request: UndoInput) -> UndoResult:
        """Release every live reservation of the order; none at all is a success."""
        undone = await self._inventory.undo_all(
            "/reservations",
            order_id=request.order_id,
            saga=request.saga,
            step=Step.RESERVE_INVENTORY,
            undo=Compensation.RELEASE_INVENTORY,
            live="reserved",
            action="release",
        )
        return UndoResult(undone=undone, attempt=activity.info().attempt)
