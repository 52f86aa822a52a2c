"""Analytics routes: one day's figures."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from servicekit.deps import ReadSessionDep
from workers.analytics.models import DailyOutcome, DailySku

router = APIRouter(tags=["analytics"])


class SkuFigures(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sku: str
    currency: str
    units: int
    revenue: int
    """Minor units of `currency`."""


class DailyFigures(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "day": "2025-01-01",
                    "skus": [{"sku": "WIDGET-1", "currency": "USD", "units": 2, "revenue": 5000}],
                    "outcomes": {"completed": 1, "failed": 0, "cancelled": 0},
                }
            ]
        }
    )

    day: date
    skus: list[SkuFigures]
    outcomes: dict[str, int]


OUTCOMES = ("completed", "failed", "cancelled")


@router.get("/daily", response_model=DailyFigures)
async def daily(
    session: ReadSessionDep, day: Annotated[date, Query(description="A UTC day, YYYY-MM-DD.")]
) -> DailyFigures:
    """Units and revenue per SKU, and orders per outcome, on one UTC day."""
    skus = await session.scalars(
        select(DailySku).where(DailySku.day == day).order_by(DailySku.sku, DailySku.currency)
    )
    outcomes = dict.fromkeys(OUTCOMES, 0)
    for row in await session.scalars(select(DailyOutcome).where(DailyOutcome.day == day)):
        outcomes[row.outcome] = row.orders
    return DailyFigures(
        day=day, skus=[SkuFigures.model_validate(row) for row in skus], outcomes=outcomes
    )
