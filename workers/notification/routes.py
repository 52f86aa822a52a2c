"""Notification routes: the emails sent."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from servicekit.deps import ReadSessionDep
from workers.notification.models import Notification

router = APIRouter(tags=["notifications"])


class NotificationPublic(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "event_id": "orders.order.completed.v1:ord-42",
                    "order_id": "ord-42",
                    "kind": "completed",
                    "to": "ada@example.com",
                    "subject": "Your order ord-42 is confirmed",
                    "message_id": "<3f1c0e9a2b7d4c5e8f90a1b2c3d4e5f6@hybrid-orders>",
                    "sent_at": "2025-01-01T12:00:00Z",
                }
            ]
        },
    )

    event_id: str
    order_id: str
    kind: str
    to: str = Field(validation_alias="to_address")
    subject: str
    message_id: str
    sent_at: datetime


@router.get("/notifications", response_model=list[NotificationPublic])
async def list_notifications(
    session: ReadSessionDep,
    order_id: str | None = None,
    limit: int = Query(default=50, ge=1, le=500),
) -> list[NotificationPublic]:
    """Emails sent, newest first, optionally for one order."""
    query = select(Notification).order_by(Notification.sent_at.desc()).limit(limit)
    if order_id is not None:
        query = query.where(Notification.order_id == order_id)
    return [NotificationPublic.model_validate(row) for row in await session.scalars(query)]
