"""Scheduling and cancelling shipments: the units of work behind the shipment routes."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from orders.problems import ProblemError
from servicekit.clock import new_id, utcnow
from servicekit.idempotency import Done
from servicekit.records import lock
from services.shipping import carriers
from services.shipping.models import Shipment, ShipmentStatus
from services.shipping.schemas import ShipmentCreate, ShipmentPublic

logger = logging.getLogger(__name__)


async def schedule(session: AsyncSession, request: ShipmentCreate) -> Done:
    """Book a carrier for the order's parcel; refuses destinations no carrier serves."""
    country = request.address.country
    try:
        service = carriers.service_for(country)
    except ProblemError:
        logger.info("order %s: undeliverable to %s", request.order_id, country)
        raise
    now = utcnow()
    shipment = Shipment(
        id=new_id("shp"),
        order_id=request.order_id,
        status=ShipmentStatus.SCHEDULED,
        carrier=service.carrier,
        tracking_number=carriers.tracking_number(service),
        estimated_delivery=carriers.add_business_days(now.date(), service.transit_business_days),
        address=request.address.model_dump(mode="json"),
        items=[item.model_dump(mode="json") for item in request.items],
        created_at=now,
        cancelled_at=None,
    )
    session.add(shipment)
    await session.flush()
    logger.info("order %s: scheduled %s with %s", request.order_id, shipment.id, service.carrier)
    return Done(ShipmentPublic.model_validate(shipment))


async def cancel(session: AsyncSession, shipment_id: str) -> Done:
    """Cancel a shipment, once: cancelling a cancelled shipment changes nothing."""
    shipment = await lock(session, Shipment, shipment_id, "shipment")
    if shipment.status is ShipmentStatus.CANCELLED:
        return Done(ShipmentPublic.model_validate(shipment), changed=False)
    shipment.status = ShipmentStatus.CANCELLED
    shipment.cancelled_at = utcnow()
    await session.flush()
    logger.info("order %s: cancelled %s", shipment.order_id, shipment.id)
    return Done(ShipmentPublic.model_validate(shipment))
