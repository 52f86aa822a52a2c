"""Shipping request and response bodies."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from orders.fields import CountryCode, NonEmpty, OrderId, Quantity, Sku
from services.shipping.models import ShipmentStatus


# The limits of the order's own address (`orders.models.Address`): what the workflow accepts,
# shipping accepts.
class Address(BaseModel):
    """Where the parcel goes."""

    name: NonEmpty
    line1: NonEmpty
    line2: str | None = Field(default=None, max_length=200)
    city: NonEmpty
    postal_code: NonEmpty
    country: CountryCode


class ShipmentItem(BaseModel):
    sku: Sku
    quantity: Quantity


class ShipmentCreate(BaseModel):
    order_id: OrderId
    address: Address
    items: list[ShipmentItem] = Field(min_length=1, max_length=100)


class ShipmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    order_id: str
    status: ShipmentStatus
    carrier: str
    tracking_number: str
    estimated_delivery: date
    created_at: datetime
    cancelled_at: datetime | None
