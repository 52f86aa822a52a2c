"""Inventory admin routes (mounted only with `INVENTORY_ENABLE_ADMIN`): set stock levels."""

from __future__ import annotations

import logging

from fastapi import APIRouter

from orders.problems import ProblemError, problem_responses
from servicekit.deps import DbDep
from services.inventory.models import Product
from services.inventory.schemas import ProductPublic, StockUpdate

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/admin", tags=["admin"])


@router.put("/stock/{sku}", response_model=ProductPublic, responses=problem_responses(404))
async def set_stock(sku: str, body: StockUpdate, db: DbDep) -> ProductPublic:
    """Set a product's stock level."""
    async with db.sessions() as session, session.begin():
        product = await session.get(Product, sku, with_for_update=True)
        if product is None:
            raise ProblemError(
                404, "unknown_sku", "Unknown SKU", f"Not in the catalog: {sku}.", skus=[sku]
            )
        product.stock = body.quantity
        await session.flush()
        logger.info("stock of %s set to %d", sku, body.quantity)
        return ProductPublic.model_validate(product)
