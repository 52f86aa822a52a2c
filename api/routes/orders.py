"""The orders resource: place, read, list and cancel; operators finish what could not be undone."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Header, Path, Query, Response

from api.deps import (
    CancellerDep,
    ClientDep,
    OperatorDep,
    PlacerDep,
    ReaderDep,
    SettingsDep,
    WatchesDep,
)
from api.order_updates import Refusal, update_order
from api.schemas import (
    CancelAccepted,
    CancelCreate,
    FinishAccepted,
    FinishCreate,
    OrderCreate,
    OrderPage,
    OrderPublic,
)
from api.submission import REPLAYED_HEADER, submit
from api.views import links, order_page, order_view, owned_description
from orders.models import CancelRequest, CancelResult, FinishRequest, FinishResult, OrderStatus
from orders.problems import ProblemError, problem_responses
from workflows.order import CANCEL_REJECTED, FINISH_REJECTED, OrderWorkflow

router = APIRouter(prefix="/orders", tags=["orders"])

CANCEL_UPDATE_ID = "cancel"
CANNOT_CANCEL = Refusal(
    "cancel",
    "cannot_cancel",
    "Order cannot be cancelled",
    CANCEL_REJECTED,
    "it can no longer be cancelled",
)
CANNOT_FINISH = Refusal(
    "finish",
    "cannot_finish",
    "Order cannot be finished",
    FINISH_REJECTED,
    "only an order left COMPENSATION_FAILED can be finished",
)

OrderIdPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]


IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[\x21-\x7e]{1,255}$",
        description=(
            "Makes a body without `order_id` safe to retry: the same key and body place one "
            "order, answered again on every retry; the same key with another body is a 422 "
            "`idempotency_key_reused`. A key names an order of its customer for as long as "
            "Temporal retains the order's workflow (the namespace's retention, 30 days by "
            "default). A body with `order_id` is already safe to retry: its id is the key."
        ),
    ),
]


@router.post(
    "",
    response_model=OrderPublic,
    status_code=202,
    responses={
        200: {"description": "The same order was submitted before, or it settled within `wait`."},
        **problem_responses(401, 403, 409, 422, 429, 503),
    },
)
async def place_order(
    body: OrderCreate,
    response: Response,
    principal: PlacerDep,
    client: ClientDep,
    settings: SettingsDep,
    watches: WatchesDep,
    idempotency_key: IdempotencyKeyHeader = None,
    wait: Annotated[
        float | None,
        Query(gt=0, description="Seconds to wait for the order to complete or be compensated."),
    ] = None,
) -> OrderPublic:
    """Place an order (scope orders:place, for the key's own customer id): start its workflow."""
    if not principal.owns(body.customer_id):
        raise ProblemError(
            403,
            "customer_mismatch",
            "Order for another customer",
            "customer_id must be the customer your credentials belong to.",
        )
    submitted = await submit(client, settings, watches, body, wait, idempotency_key)
    response.status_code = submitted.status_code
    response.headers["Location"] = submitted.order.links.self
    if submitted.replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return submitted.order


@router.get(
    "/{order_id}", response_model=OrderPublic, responses=problem_responses(401, 403, 404, 429, 503)
)
async def get_order(
    order_id: OrderIdPath, principal: ReaderDep, client: ClientDep, settings: SettingsDep
) -> OrderPublic:
    """An order's status, steps, compensations and failure (scope orders:read)."""
    description = await owned_description(client, order_id, principal)
    return await order_view(client, settings, order_id, description)


@router.get("", response_model=OrderPage, responses=problem_responses(400, 401, 403, 429, 503))
async def list_orders(
    principal: ReaderDep,
    client: ClientDep,
    settings: SettingsDep,
    status: OrderStatus | None = None,
    customer_id: Annotated[str | None, Query(pattern=r'^[^"\\]{1,200}$')] = None,
    page_token: Annotated[str | None, Query(max_length=4096)] = None,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> OrderPage:
    """Orders, newest first, by status and customer: one's own, or everyone's for operators."""
    if not principal.operator:
        if customer_id not in (None, principal.customer_id):
            return OrderPage(orders=[])  # nothing of another customer's, not even a refusal
        customer_id = principal.customer_id
    return await order_page(
        client,
        settings,
        status=status,
        customer_id=customer_id,
        page_size=page_size,
        page_token=page_token,
    )


@router.post(
    "/{order_id}/cancel",
    response_model=CancelAccepted,
    status_code=202,
    responses=problem_responses(401, 403, 404, 409, 429, 503),
)
async def cancel_order(
    order_id: OrderIdPath,
    principal: CancellerDep,
    client: ClientDep,
    settings: SettingsDep,
    body: Annotated[CancelCreate | None, Body()] = None,
) -> CancelAccepted:
    """Cancel an order in flight (scope orders:cancel): what it did is undone; it ends CANCELLED."""
    description = await owned_description(client, order_id, principal)
    accepted = await update_order(
        client,
        order_id,
        description,
        OrderWorkflow.cancel,
        CancelRequest(reason=(body or CancelCreate()).reason),
        CancelResult,
        CANNOT_CANCEL,
        # One id for every cancel of the order: a retry, or a cancel sent while an earlier one
        # still waits for a worker, joins it instead of taking another of its update slots.
        update_id=CANCEL_UPDATE_ID,
    )
    return CancelAccepted(
        order_id=order_id,
        status=accepted.status,
        links=links(settings, client.namespace, order_id),
    )


@router.post(
    "/{order_id}/finish",
    response_model=FinishAccepted,
    status_code=202,
    responses=problem_responses(401, 403, 404, 409, 422, 429, 503),
)
async def finish_order(
    order_id: OrderIdPath,
    body: FinishCreate,
    principal: OperatorDep,
    client: ClientDep,
    settings: SettingsDep,
) -> FinishAccepted:
    """Finish an order left COMPENSATION_FAILED (scope orders:operate): retry what is left to
    undo, or record that it was done by hand; the order then settles."""
    description = await owned_description(client, order_id, principal)
    accepted = await update_order(
        client,
        order_id,
        description,
        OrderWorkflow.finish_compensation,
        FinishRequest(action=body.action, operator=principal.subject, note=body.note),
        FinishResult,
        CANNOT_FINISH,
    )
    return FinishAccepted(
        order_id=order_id,
        status=accepted.status,
        left_to_undo=accepted.left_to_undo,
        links=links(settings, client.namespace, order_id),
    )
