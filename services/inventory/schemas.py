"""Inventory request and response bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from orders.fields import CurrencyCode, MinorUnits, OrderId, Quantity, Sku
from services.inventory.models import ReservationStatus


class ProductPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sku: str
    name: str
    unit_price: MinorUnits
    currency: str
    stock: int


class StockUpdate(BaseModel):
    quantity: int = Field(ge=0, le=10**9, description="The new stock level (not a delta).")


class ReservationItem(BaseModel):
    sku: Sku
    quantity: Quantity


class ReservationCreate(BaseModel):
    order_id: OrderId
    items: list[ReservationItem] = Field(min_length=1, max_length=100)
    currency: CurrencyCode | None = Field(
        default=None, description="If given, must be the catalog's currency."
    )


class ReservationLinePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sku: str
    quantity: int
    unit_price: MinorUnits
    line_total: MinorUnits


class ReservationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    order_id: str
    status: ReservationStatus
    lines: list[ReservationLinePublic]
    total: MinorUnits
    currency: str
    created_at: datetime
    released_at: datetime | None
