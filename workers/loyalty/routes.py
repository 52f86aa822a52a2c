"""Loyalty routes: a customer's points."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from servicekit.deps import ReadSessionDep
from workers.loyalty.models import LedgerEntry

router = APIRouter(tags=["loyalty"])


class LedgerEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    order_id: str
    event_id: str
    points: int
    created_at: datetime


class CustomerPoints(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "cust-42",
                    "points": 75,
                    "entries": [
                        {
                            "order_id": "ord-42",
                            "event_id": "orders.order.completed.v1:ord-42",
                            "points": 75,
                            "created_at": "2025-01-01T12:00:00Z",
                        }
                    ],
                }
            ]
        }
    )

    customer_id: str
    points: int
    entries: list[LedgerEntryPublic]


@router.get("/customers/{customer_id}/points", response_model=CustomerPoints)
async def customer_points(customer_id: str, session: ReadSessionDep) -> CustomerPoints:
    """A customer's balance and its ledger, oldest first (0 and none for an unknown customer)."""
    rows = list(
        await session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.customer_id == customer_id)
            .order_by(LedgerEntry.created_at, LedgerEntry.id)
        )
    )
    return CustomerPoints(
        customer_id=customer_id,
        points=sum(row.points for row in rows),
        entries=[LedgerEntryPublic.model_validate(row) for row in rows],
    )
