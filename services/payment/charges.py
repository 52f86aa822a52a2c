"""Charging and refunding: the units of work behind the charge routes."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from orders.problems import ProblemError
from servicekit.clock import new_id, utcnow
from servicekit.idempotency import Done
from servicekit.records import lock
from services.payment import cards
from services.payment.models import Charge, ChargeStatus
from services.payment.schemas import ChargeCreate, ChargePublic

logger = logging.getLogger(__name__)


async def charge(session: AsyncSession, request: ChargeCreate) -> Done:
    """Capture the amount on the token's card; a declined card leaves no charge behind."""
    try:
        brand = cards.authorize(request.token)
    except ProblemError as exc:
        logger.info("order %s: payment declined (%s)", request.order_id, exc.code)
        raise
    record = Charge(
        id=new_id("ch"),
        order_id=request.order_id,
        amount=request.amount,
        currency=request.currency,
        status=ChargeStatus.CAPTURED,
        brand=brand,
        created_at=utcnow(),
        refunded_at=None,
    )
    session.add(record)
    await session.flush()
    logger.info(
        "order %s: captured %s %d %s", request.order_id, record.id, record.amount, record.currency
    )
    return Done(ChargePublic.model_validate(record))


async def refund(session: AsyncSession, charge_id: str) -> Done:
    """Refund a charge in full, once: refunding a refunded charge changes nothing."""
    record = await lock(session, Charge, charge_id, "charge")
    if record.status is ChargeStatus.REFUNDED:
        return Done(ChargePublic.model_validate(record), changed=False)
    record.status = ChargeStatus.REFUNDED
    record.refunded_at = utcnow()
    await session.flush()
    logger.info("order %s: refunded %s", record.order_id, record.id)
    return Done(ChargePublic.model_validate(record))
