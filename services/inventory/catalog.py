"""The catalog seeded into an empty inventory database."""

from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from servicekit.db import Database
from services.inventory.models import Product

logger = logging.getLogger(__name__)

CATALOG_CURRENCY = "USD"

# (sku, name, unit price in cents, initial stock). RARE-9 is never in stock, so tests and demos
# can trigger `out_of_stock` on demand.
SEED: tuple[tuple[str, str, int, int], ...] = (
    ("WIDGET-1", "Standard Widget", 1500, 1000),
    ("GADGET-2", "Deluxe Gadget", 4500, 1000),
    ("GIZMO-3", "Pocket Gizmo", 999, 1000),
    ("SPROCKET-4", "Steel Sprocket, 40 teeth", 1250, 500),
    ("CABLE-5", "USB-C Cable, 2 m", 1299, 250),
    ("RARE-9", "Collector's Edition Orrery", 25000, 0),
)


async def seed_catalog(db: Database) -> None:
    """Insert the seed catalog if the products table is empty; never touch existing stock."""
    try:
        async with db.sessions() as session, session.begin():
            count = await session.scalar(select(func.count()).select_from(Product))
            if count:
                return
            session.add_all(
                Product(sku=sku, name=name, unit_price=price, currency=CATALOG_CURRENCY, stock=n)
                for sku, name, price, n in SEED
            )
    except IntegrityError:
        # Another process started on the same database and seeded it first.
        return
    logger.info("seeded the catalog with %d products", len(SEED))
