"""Payment activities: charge the reservation's total, and refund it."""

from __future__ import annotations

import httpx
from temporalio import activity

from activities.participant import ParticipantClient, idempotency_key
from orders.errors import PaymentDeclined
from orders.models import Charge, ChargePaymentInput, Compensation, Step, UndoInput, UndoResult
from orders.temporal import ActivityName

DECLINE_CODES = ("card_declined", "insufficient_funds", "invalid_token")


class PaymentActivities:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._payment = ParticipantClient("payment", http)

    @activity.defn(name=ActivityName.CHARGE_PAYMENT)
    async def charge(self, request: ChargePaymentInput) -> Charge:
        body = await self._payment.post(
            "/charges",
            key=idempotency_key(request.order_id, Step.CHARGE_PAYMENT, saga=request.saga),
            json=request.model_dump(mode="json", exclude={"saga"}),
            rejections=dict.fromkeys(DECLINE_CODES, PaymentDeclined),
        )
        return Charge.model_validate({**body, "attempt": activity.info().attempt})

    @activity.defn(name=ActivityName.REFUND_PAYMENT)
    async def refund(self, request: UndoInput) -> UndoResult:
        """Refund every captured charge of the order; none at all is a success."""
        undone = await self._payment.undo_all(
            "/charges",
            order_id=request.order_id,
            saga=request.saga,
            step=Step.CHARGE_PAYMENT,
            undo=Compensation.REFUND_PAYMENT,
            live="captured",
            action="refund",
        )
        return UndoResult(undone=undone, attempt=activity.info().attempt)
