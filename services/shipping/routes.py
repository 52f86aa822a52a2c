"""Shipping routes: shipments."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from orders.problems import problem_responses
from servicekit.deps import IdempotentDep, ReadSessionDep
from servicekit.listing import Limit, MadeByFilter, Offset, OrderIdFilter, list_records
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
    order_id: OrderIdFilter = None,
    idempotency_key: MadeByFilter = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[ShipmentPublic]:
    """Shipments of any status, oldest first: of one order, or made by one request's key."""
    rows = await list_records(
        session,
        Shipment,
        order_id=order_id,
        idempotency_key=idempotency_key,
        limit=limit,
        offset=offset,
    )
    return [ShipmentPublic.model_validate(row) for row in rows]


@router.get(
    "/shipments/{shipment_id}", response_model=ShipmentPublic, responses=problem_responses(404)
)
async def get_shipment(shipment_id: str, session: ReadSessionDep) -> ShipmentPublic:
    """One shipment."""
    shipment = await session.get(Shipment, shipment_id)
    if shipment is None:
        raise shipments.not_found(shipment_id)
    return ShipmentPublic.model_validate(shipment)
