"""Inventory routes: the catalog and reservations."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import select

from orders.problems import problem_responses
from servicekit.deps import IdempotentDep, ReadSessionDep
from servicekit.listing import Limit, MadeByFilter, Offset, OrderIdFilter, list_records
from services.inventory import reservations
from services.inventory.models import Product, Reservation
from services.inventory.schemas import ProductPublic, ReservationCreate, ReservationPublic

router = APIRouter(tags=["inventory"])


@router.get("/products", response_model=list[ProductPublic])
async def list_products(session: ReadSessionDep) -> list[ProductPublic]:
    """The catalog, with current stock."""
    rows = await session.scalars(select(Product).order_by(Product.sku))
    return [ProductPublic.model_validate(row) for row in rows]


@router.post(
    "/reservations",
    response_model=ReservationPublic,
    status_code=201,
    responses=problem_responses(409, 422, 503),
)
async def create_reservation(body: ReservationCreate, idempotent: IdempotentDep) -> JSONResponse:
    """Reserve stock for all items of an order, all or nothing."""
    return await idempotent.run(
        body, lambda session: reservations.reserve(session, body), status_code=201
    )


@router.post(
    "/reservations/{reservation_id}/release",
    response_model=ReservationPublic,
    responses=problem_responses(404, 503),
)
async def release_reservation(reservation_id: str, idempotent: IdempotentDep) -> JSONResponse:
    """Give a reservation's stock back; a second release changes nothing."""
    return await idempotent.run(
        None, lambda session: reservations.release(session, reservation_id), status_code=200
    )


@router.get("/reservations", response_model=list[ReservationPublic])
async def list_reservations(
    session: ReadSessionDep,
    order_id: OrderIdFilter = None,
    idempotency_key: MadeByFilter = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[ReservationPublic]:
    """Reservations of any status, oldest first: of one order, or made by one request's key."""
    rows = await list_records(
        session,
        Reservation,
        order_id=order_id,
        idempotency_key=idempotency_key,
        limit=limit,
        offset=offset,
    )
    return [ReservationPublic.model_validate(row) for row in rows]


@router.get(
    "/reservations/{reservation_id}",
    response_model=ReservationPublic,
    responses=problem_responses(404),
)
async def get_reservation(reservation_id: str, session: ReadSessionDep) -> ReservationPublic:
    """One reservation."""
    reservation = await session.get(Reservation, reservation_id)
    if reservation is None:
        raise reservations.not_found(reservation_id)
    return ReservationPublic.model_validate(reservation)
