"""Shipping routes: shipments."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from sqlalchemy import select

from orders.problems import problem_responses
from services.common.deps import IdempotentDep, ReadSessionDep
from services.shipping import shipments
from services.shipping.models import Shipment
from services.shipping.schemas import ShipmentCreate, ShipmentPublic

router = APIRouter(tags=["shipping"])


@router.post(
    "/shipments",
    response_model=ShipmentPublic,
    status_code=201,
    responses=problem_responses(422, 503),
)
async def create_shipment(body: ShipmentCreate, idempotent: IdempotentDep) -> JSONResponse:
    """Schedule a shipment of an order's items to its address."""
    return await idempotent.run(
        body, lambda session: shipments.schedule(session, body), status_code=201
    )


@router.post(
    "/shipments/{shipment_id}/cancel",
    response_model=ShipmentPublic,
    responses=problem_responses(404, 503),
)
async def cancel_shipment(shipment_id: str, idempotent: IdempotentDep) -> JSONResponse:
    """Cancel a shipment; a second cancel changes nothing."""
    return await idempotent.run(
        None, lambda session: shipments.cancel(session, shipment_id), status_code=200
    )


@router.get("/shipments", response_model=list[ShipmentPublic])
async def list_shipments(
    session: ReadSessionDep,
    order_id: str | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0, description="Skip this many, to page through."),
) -> list[ShipmentPublic]:
    """Shipments of any status, oldest first, optionally of one order."""
    query = select(Shipment).order_by(Shipment.created_at, Shipment.id)
    query = query.offset(offset).limit(limit)
    if order_id is not None:
        query = query.where(Shipment.order_id == order_id)
    return [ShipmentPublic.model_validate(row) for row in await session.scalars(query)]


@router.get(
    "/shipments/{shipment_id}", response_model=ShipmentPublic, responses=problem_responses(404)
)
async def get_shipment(shipment_id: str, session: ReadSessionDep) -> ShipmentPublic:
    """One shipment."""
    shipment = await session.get(Shipment, shipment_id)
    if shipment is None:
        raise shipments.not_found(shipment_id)
    return ShipmentPublic.model_validate(shipment)
