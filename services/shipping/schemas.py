"""Shipping request and response bodies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from servicekit.fields import CountryCode, OrderId, Quantity, Sku
from services.shipping.models import ShipmentStatus

Text = Annotated[str, Field(min_length=1, max_length=200)]


class Address(BaseModel):
    name: Text
    line1: Text
    line2: str | None = Field(default=None, max_length=200)
    city: Text
    postal_code: Annotated[str, Field(min_length=1, max_length=20)]
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
