"""Payment routes: charges and refunds."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from orders.problems import problem_responses
from servicekit.deps import IdempotentDep, ReadSessionDep
from servicekit.listing import Limit, MadeByFilter, Offset, OrderIdFilter, list_records
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
    order_id: OrderIdFilter = None,
    idempotency_key: MadeByFilter = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[ChargePublic]:
    """Charges of any status, oldest first: of one order, or made by one request's key."""
    rows = await list_records(
        session,
        Charge,
        order_id=order_id,
        idempotency_key=idempotency_key,
        limit=limit,
        offset=offset,
    )
    return [ChargePublic.model_validate(row) for row in rows]


@router.get("/charges/{charge_id}", response_model=ChargePublic, responses=problem_responses(404))
async def get_charge(charge_id: str, session: ReadSessionDep) -> ChargePublic:
    """One charge."""
    record = await session.get(Charge, charge_id)
    if record is None:
        raise charges.not_found(charge_id)
    return ChargePublic.model_validate(record)
