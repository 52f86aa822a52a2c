"""Payment request and response bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from orders.fields import CurrencyCode, OrderId
from services.payment.models import ChargeStatus


class ChargeCreate(BaseModel):
    order_id: OrderId
    # The upper bound keeps amounts inside a 64-bit column with room to spare.
    amount: int = Field(gt=0, le=10**12, description="Amount in minor units (cents).")
    currency: CurrencyCode
    token: str = Field(min_length=1, max_length=200, examples=["tok_visa"], repr=False)


class ChargePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    order_id: str
    amount: int
    currency: str
    status: ChargeStatus
    created_at: datetime
    refunded_at: datetime | None
