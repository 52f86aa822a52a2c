"""Inventory routes: the catalog, and reservations (`servicekit.resource`)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from servicekit.deps import ReadSessionDep
from servicekit.resource import Create, Resource, Undo, resource_router
from services.inventory import reservations
from services.inventory.models import Product, Reservation
from services.inventory.schemas import ProductPublic, ReservationCreate, ReservationPublic

RESERVATIONS = Resource(
    kind="reservation",
    table=Reservation,
    public=ReservationPublic,
    create=Create(
        ReservationCreate,
        reservations.reserve,
        "Reserve stock for all items of an order, all or nothing.",
        problems=(409, 422, 503),
    ),
    undo=Undo(
        "release",
        reservations.release,
        "Give a reservation's stock back; a second release changes nothing.",
    ),
)

router = APIRouter(tags=["inventory"])


@router.get("/products", response_model=list[ProductPublic])
async def list_products(session: ReadSessionDep) -> list[ProductPublic]:
    """The catalog, with current stock."""
    rows = await session.scalars(select(Product).order_by(Product.sku))
    return [ProductPublic.model_validate(row) for row in rows]


router.include_router(resource_router(RESERVATIONS))
