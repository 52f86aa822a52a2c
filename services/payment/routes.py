"""Payment routes: charges and refunds."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from sqlalchemy import select

from orders.problems import problem_responses
from services.common.deps import IdempotentDep, ReadSessionDep
from services.payment import charges
from services.payment.models import Charge
from services.payment.schemas import ChargeCreate, ChargePublic

router = APIRouter(tags=["payment"])


@router.post(
    "/charges",
    response_model=ChargePublic,
    status_code=201,
    responses=problem_responses(402, 422, 503),
)
async def create_charge(body: ChargeCreate, idempotent: IdempotentDep) -> JSONResponse:
    """Charge a card token and capture the amount at once."""
    return await idempotent.run(
        body, lambda session: charges.charge(session, body), status_code=201
    )


@router.post(
    "/charges/{charge_id}/refund",
    response_model=ChargePublic,
    responses=problem_responses(404, 503),
)
async def refund_charge(charge_id: str, idempotent: IdempotentDep) -> JSONResponse:
    """Refund a charge in full; a second refund changes nothing."""
    return await idempotent.run(
        None, lambda session: charges.refund(session, charge_id), status_code=200
    )


@router.get("/charges", response_model=list[ChargePublic])
async def list_charges(
    session: ReadSessionDep,
    order_id: str | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0, description="Skip this many, to page through."),
) -> list[ChargePublic]:
    """Charges of any status, oldest first, optionally of one order."""
    query = select(Charge).order_by(Charge.created_at, Charge.id)
    query = query.offset(offset).limit(limit)
    if order_id is not None:
        query = query.where(Charge.order_id == order_id)
    return [ChargePublic.model_validate(row) for row in await session.scalars(query)]


@router.get("/charges/{charge_id}", response_model=ChargePublic, responses=problem_responses(404))
async def get_charge(charge_id: str, session: ReadSessionDep) -> ChargePublic:
    """One charge."""
    record = await session.get(Charge, charge_id)
    if record is None:
        raise charges.not_found(charge_id)
    return ChargePublic.model_validate(record)
