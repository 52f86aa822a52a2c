"""Submitting an order: the order id is the idempotency key of the submission.

The same id with the same content is the same order (200 with its state); with other content it
is a conflict (409). Temporal enforces the first half — one workflow per id while it is retained
— and the content's fingerprint, kept in the workflow's memo and checked by its `settled` update,
the second. A body without an id may name its order by an `Idempotency-Key` instead (the IETF
httpapi draft's header): the key and the customer make the id, so a retried request places
nothing twice, and the same key with another body is a 422. A caller that waits (`?wait=`)
shares one bounded `settled` update with the others waiting on the order (`api.waiting`).
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from opentelemetry import trace
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.schemas import OrderCreate, OrderPublic
from api.temporal import RPC_TIMEOUT, rpc_errors
from api.views import QUICK_QUERY, describe, from_state, order_view
from api.waiting import TooManyWatches, Watches
from orders.logs import bind_order
from orders.models import OrderInput, OrderState, OrderStatus, SettledRequest, order_fingerprint
from orders.problems import ProblemError
from orders.settings import Settings
from orders.telemetry import ORDER_ID_ATTRIBUTE
from orders.temporal import CUSTOMER_ID, ORDER_STATUS, workflow_id
from workflows.details import describe_lines
from workflows.order import ORDER_CONFLICT, OrderWorkflow

log = logging.getLogger("orders.api")


@dataclass(frozen=True)
class Submitted:
    order: OrderPublic
    status_code: int
    """202 while the order runs (accepted), 200 for an order that existed or has settled."""
    replayed: bool = False
    """The order had been placed before: this answer is a resubmission's."""


KEYED_ORDER_PREFIX = "key-"
REPLAYED_HEADER = "Idempotent-Replayed"
"""Set on the answer to a resubmission: the order had been placed before."""


def keyed_order_id(customer_id: str, idempotency_key: str) -> str:
    """The order id an `Idempotency-Key` names, for a body without `order_id`: one per
    customer and key, so two customers' keys never meet."""
    digest = hashlib.sha256(f"{customer_id}\n{idempotency_key}".encode()).hexdigest()
    return f"{KEYED_ORDER_PREFIX}{digest[:32]}"


@dataclass(frozen=True)
class Placement:
    """An order to place, and the key that named it when the body did not."""

    order: OrderInput
    idempotency_key: str | None = None

    def conflict(self) -> ProblemError:
        if self.idempotency_key is not None:
            return ProblemError(
                422,
                "idempotency_key_reused",
                "Idempotency key reused",
                f"Idempotency-Key {self.idempotency_key!r} was first sent with another order; "
                "send a new key for a new order.",
            )
        return ProblemError(
            409,
            "order_conflict",
            "Order id already used",
            f"Order {self.order.order_id!r} exists with other content; use a new order_id.",
        )


def start_options(order: OrderInput, settings: Settings) -> dict[str, Any]:
    """How the API starts an order's workflow, but for its conflict policy: id, task queue,
    memo, search attributes and the Web UI's summary and details."""
    return {
        "id": workflow_id(order.order_id),
        "task_queue": settings.task_queue,
        # An order id names one order forever, even after its workflow has closed.
        "id_reuse_policy": WorkflowIDReusePolicy.REJECT_DUPLICATE,
        "memo": {"fingerprint": order_fingerprint(order), "currency": order.currency},
        "search_attributes": TypedSearchAttributes(
            [
                SearchAttributePair(ORDER_STATUS, OrderStatus.RECEIVED.value),
                SearchAttributePair(CUSTOMER_ID, order.customer_id),
            ]
        ),
        # The total is priced by the catalog when inventory is reserved, after the start: the
        # current details and `OrderTotal` carry it, the static summary says where it will be.
        "static_summary": (
            f"Order {order.order_id} · customer {order.customer_id} · "
            f"{describe_lines(order.items)} · total in {order.currency}, priced at reservation"
        ),
        "static_details": _static_details(order),
    }


def _static_details(order: OrderInput) -> str:
    """Markdown for the Web UI: every line of the order and where it ships."""
    address = order.shipping_address
    lines = "\n".join(f"- {item.quantity} x {item.sku}" for item in order.items)
    return (
        f"Order **{order.order_id}** for customer **{order.customer_id}**, "
        f"paid in {order.currency}, shipping to {address.city}, {address.country}.\n\n{lines}"
    )


def _received(order: OrderInput) -> OrderState:
    return OrderState(
        order_id=order.order_id,
        customer_id=order.customer_id,
        status=OrderStatus.RECEIVED,
        currency=order.currency,
        items=order.items,
    )


async def submit(
    client: Client,
    settings: Settings,
    watches: Watches,
    body: OrderCreate,
    wait: float | None,
    idempotency_key: str | None = None,
) -> Submitted:
    """Place `body`; its id is its own `order_id`, else the one its key names, else a new one."""
    key = idempotency_key if body.order_id is None else None  # an order_id is the key
    order_id = body.order_id or (
        keyed_order_id(body.customer_id, key) if key is not None else uuid.uuid4().hex
    )
    order = body.to_input(order_id, local_activities=settings.local_activities)
    placement = Placement(order, key)
    bind_order(order.order_id)
    trace.get_current_span().set_attribute(ORDER_ID_ATTRIBUTE, order.order_id)
    if wait is not None:
        return await _submit_and_wait(
            client, settings, watches, placement, min(wait, settings.api_max_wait_seconds)
        )
    return await _submit(client, settings, placement)


async def _submit(client: Client, settings: Settings, placement: Placement) -> Submitted:
    order = placement.order
    existing = await _start(client, settings, placement)
    if existing is None:
        return Submitted(from_state(_received(order), settings, client.namespace), 202)
    view = await order_view(client, settings, order.order_id, existing)
    return Submitted(view, 200, replayed=True)


async def _start(
    client: Client, settings: Settings, placement: Placement
) -> WorkflowExecutionDescription | None:
    """Start the order's workflow: None once started, else the description of the one that
    was there, whose memo's fingerprint is the placement's (another body is a conflict)."""
    order = placement.order
    async with rpc_errors():
        try:
            await client.start_workflow(
                OrderWorkflow.run,
                order,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                rpc_timeout=RPC_TIMEOUT,
                **start_options(order, settings),
            )
            return None
        except WorkflowAlreadyStartedError:
            pass
    description = await describe(client, order.order_id)
    if await description.memo_value("fingerprint", default=None) != order_fingerprint(order):
        raise placement.conflict()
    return description


async def _submit_and_wait(
    client: Client, settings: Settings, watches: Watches, placement: Placement, wait: float
) -> Submitted:
    """Place the order (or find it), then wait for it to settle, sharing this process's one
    `settled` update for the order with every other caller waiting on it.

    The order is durably placed before any wait, so a wait that runs out, or that no worker
    answers, can always show it.
    """
    deadline = time.monotonic() + wait
    order = placement.order
    existing = await _start(client, settings, placement)
    replayed = existing is not None
    if existing is not None and existing.status is not WorkflowExecutionStatus.RUNNING:
        view = await order_view(client, settings, order.order_id, existing)
        return Submitted(view, 200, replayed=True)  # closed: nothing to wait for
    fingerprint = order_fingerprint(order)
    handle = client.get_workflow_handle_for(OrderWorkflow.run, workflow_id(order.order_id))

    async def update(update_id: str, seconds: float) -> OrderState:
        started = await handle.start_update(
            OrderWorkflow.settled,
            SettledRequest(fingerprint=fingerprint, wait_seconds=seconds),
            id=update_id,
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
            rpc_timeout=RPC_TIMEOUT,
        )
        return await started.result(rpc_timeout=RPC_TIMEOUT + timedelta(seconds=seconds))

    async with rpc_errors():
        try:
            state = await watches.wait(order.order_id, fingerprint, deadline, update)
        except TooManyWatches:
            state = None  # answered without waiting: the updates in flight stay bounded
        except WorkflowUpdateRPCTimeoutOrCancelledError:
            log.warning("order %s: no worker answered the wait", order.order_id)
            state = None
        except WorkflowUpdateFailedError as exc:
            if isinstance(exc.cause, ApplicationError) and exc.cause.type == ORDER_CONFLICT:
                raise placement.conflict() from exc
            raise
        except RPCError as exc:
            if exc.status is not RPCStatusCode.NOT_FOUND:
                raise
            state = None  # its workflow closed meanwhile: the view reads its result
    if state is None or not state.status.is_terminal:
        view = await order_view(client, settings, order.order_id, query_timeout=QUICK_QUERY)
        return Submitted(view, 200 if view.status.is_terminal else 202, replayed=replayed)
    return Submitted(from_state(state, settings, client.namespace), 200, replayed=replayed)
