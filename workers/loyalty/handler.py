"""Credit points for completed orders."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from orders.events import OrderCompleted
from servicekit.clock import utcnow
from workers.consumer.handler import Event, TransactionalHandler
from workers.consumer.money import whole_units
from workers.loyalty.models import LedgerEntry

logger = logging.getLogger(__name__)


def points_for(event: OrderCompleted) -> int:
    """One point per whole currency unit of the total; none for an order never priced."""
    total = event.data.total
    return 0 if total is None else max(whole_units(total, event.data.currency), 0)


class LoyaltyHandler(TransactionalHandler):
    async def apply(self, session: AsyncSession, event: Event) -> None:
        if not isinstance(event, OrderCompleted):
            return
        points = points_for(event)
        if points == 0:
            return
        session.add(
            LedgerEntry(
                customer_id=event.data.customer.id,
                order_id=event.data.order_id,
                event_id=event.id,
                points=points,
                created_at=utcnow(),
            )
        )
        customer = event.data.customer.id
        logger.info("order %s: %d points to customer %s", event.data.order_id, points, customer)
