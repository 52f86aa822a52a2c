"""Reserving and releasing stock: the units of work behind the reservation routes.

Each runs inside the caller's transaction (see `servicekit.idempotency`). Rows that are
checked and then changed are read `FOR UPDATE` (PostgreSQL; SQLite's `BEGIN IMMEDIATE` already
serialises writers), in SKU order so that two reservations never lock products in opposite
orders and deadlock.
"""

from __future__ import annotations

import logging
from collections import Counter

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from orders.problems import ProblemError
from servicekit.clock import new_id, utcnow
from servicekit.idempotency import Done
from servicekit.records import lock
from services.inventory.catalog import CATALOG_CURRENCY
from services.inventory.models import Product, Reservation, ReservationLine, ReservationStatus
from services.inventory.schemas import ReservationCreate, ReservationPublic

logger = logging.getLogger(__name__)


async def reserve(session: AsyncSession, request: ReservationCreate) -> Done:
    """Take stock for every line of the order, or for none of them."""
    wanted: Counter[str] = Counter()
    for item in request.items:
        wanted[item.sku] += item.quantity
    if request.currency is not None and request.currency != CATALOG_CURRENCY:
        raise ProblemError(
            422,
            "unsupported_currency",
            "Unsupported currency",
            f"The catalog is priced in {CATALOG_CURRENCY}, not {request.currency}.",
            currency=request.currency,
        )
    rows = await session.scalars(
        select(Product).where(Product.sku.in_(wanted)).order_by(Product.sku).with_for_update()
    )
    products = {product.sku: product for product in rows}
    unknown = sorted(set(wanted) - set(products))
    if unknown:
        raise ProblemError(
            422,
            "unknown_sku",
            "Unknown SKU",
            f"Not in the catalog: {', '.join(unknown)}.",
            skus=unknown,
        )
    short = sorted(sku for sku, quantity in wanted.items() if products[sku].stock < quantity)
    if short:
        logger.info("order %s: out of stock: %s", request.order_id, short)
        raise ProblemError(
            409,
            "out_of_stock",
            "Out of stock",
            f"Not enough stock of: {', '.join(short)}.",
            skus=short,
        )
    lines = []
    for sku in sorted(wanted):
        product = products[sku]
        product.stock -= wanted[sku]
        lines.append(
            ReservationLine(
                sku=sku,
                quantity=wanted[sku],
                unit_price=product.unit_price,
                line_total=product.unit_price * wanted[sku],
            )
        )
    reservation = Reservation(
        id=new_id("res"),
        order_id=request.order_id,
        status=ReservationStatus.RESERVED,
        total=sum(line.line_total for line in lines),
        currency=CATALOG_CURRENCY,
        created_at=utcnow(),
        released_at=None,
        lines=lines,
    )
    session.add(reservation)
    await session.flush()
    logger.info("order %s: reserved %s (%d lines)", request.order_id, reservation.id, len(lines))
    return Done(ReservationPublic.model_validate(reservation))


async def release(session: AsyncSession, reservation_id: str) -> Done:
    """Put a reservation's stock back, once: releasing a released reservation changes nothing."""
    reservation = await lock(session, Reservation, reservation_id, "reservation")
    if reservation.status is ReservationStatus.RELEASED:
        return Done(ReservationPublic.model_validate(reservation), changed=False)
    for line in reservation.lines:
        await session.execute(
            update(Product)
            .where(Product.sku == line.sku)
            .values(stock=Product.stock + line.quantity)
        )
    reservation.status = ReservationStatus.RELEASED
    reservation.released_at = utcnow()
    await session.flush()
    logger.info("order %s: released %s", reservation.order_id, reservation.id)
    return Done(ReservationPublic.model_validate(reservation))
