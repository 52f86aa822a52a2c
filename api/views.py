"""Reading orders back from Temporal: one order in detail, or a page of them from visibility."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any, TypeVar

from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from temporalio.service import RPCError, RPCStatusCode

from api.auth.scopes import Principal
from api.schemas import OrderLinks, OrderPage, OrderPublic, OrderSummary
from api.temporal import RPC_TIMEOUT, rpc_errors
from orders.models import OrderState, OrderStatus
from orders.problems import ProblemError
from orders.settings import Settings
from orders.temporal import CUSTOMER_ID, ORDER_STATUS, ORDER_TOTAL, workflow_id
from workflows.order import OrderWorkflow

T = TypeVar("T")

QUERY_TIMEOUT = timedelta(seconds=5)
QUICK_QUERY = timedelta(seconds=2)
"""For the view a waiting caller gets when its wait is up: its answer is already due."""
WORKFLOW_ID_PREFIX = "order-"


def links(settings: Settings, namespace: str, order_id: str) -> OrderLinks:
    ui = settings.temporal_ui_url.rstrip("/")
    return OrderLinks(
        self=f"/orders/{order_id}",
        temporal_ui=f"{ui}/namespaces/{namespace}/workflows/{workflow_id(order_id)}",
    )


def not_found(order_id: str) -> ProblemError:
    return ProblemError(404, "order_not_found", "Order not found", f"No order {order_id!r}.")


def from_state(state: OrderState, settings: Settings, namespace: str) -> OrderPublic:
    return OrderPublic(
        **state.model_dump(exclude={"reservation_id", "charge_id", "shipment_id"}),
        links=links(settings, namespace, state.order_id),
    )


async def describe(client: Client, order_id: str) -> WorkflowExecutionDescription:
    handle = client.get_workflow_handle(workflow_id(order_id))
    async with rpc_errors():
        try:
            return await handle.describe(rpc_timeout=RPC_TIMEOUT)
        except RPCError as exc:
            if exc.status is RPCStatusCode.NOT_FOUND:
                raise not_found(order_id) from exc
            raise


async def owned_description(
    client: Client, order_id: str, principal: Principal
) -> WorkflowExecutionDescription:
    """The order's description when `principal` may see it; another customer's order is "not
    found", exactly as a missing one, so that order ids cannot be probed."""
    description = await describe(client, order_id)
    if not principal.owns(description.typed_search_attributes.get(CUSTOMER_ID)):
        raise not_found(order_id)
    return description


async def order_view(
    client: Client,
    settings: Settings,
    order_id: str,
    description: WorkflowExecutionDescription | None = None,
    *,
    query_timeout: timedelta = QUERY_TIMEOUT,
) -> OrderPublic:
    """The order's state from its workflow: queried while it runs, its result once it closed.

    `description`, when the caller has just fetched it, saves describing the workflow again.
    """
    description = description or await describe(client, order_id)
    handle: WorkflowHandle[OrderWorkflow, OrderState] = client.get_workflow_handle_for(
        OrderWorkflow.run, workflow_id(order_id)
    )
    async with rpc_errors():
        try:
            if description.status is WorkflowExecutionStatus.COMPLETED:
                state = await handle.result(rpc_timeout=RPC_TIMEOUT)
            elif description.status is WorkflowExecutionStatus.RUNNING:
                query = handle.query(OrderWorkflow.status, rpc_timeout=query_timeout)
                state = await _within(query, query_timeout)
            else:
                return await from_description(description, settings, client.namespace)
        except (WorkflowQueryFailedError, RPCError, TimeoutError):
            # No worker answered the query (they may all be down): show what visibility knows.
            return await from_description(description, settings, client.namespace)
    return from_state(state, settings, client.namespace)


async def _within(query: Coroutine[Any, Any, T], bound: timedelta) -> T:
    """`query`'s answer, or `TimeoutError` once `bound` has passed.

    The SDK retries a query that timed out at the server (no worker took it), each try given the
    whole `rpc_timeout` again, so the wall clock is the bound. A query given up on is left to
    end by itself, its error read, rather than cancelled inside the SDK's bridge.
    """
    task = asyncio.ensure_future(query)
    done, _ = await asyncio.wait({task}, timeout=bound.total_seconds())
    if task in done:
        return task.result()
    task.add_done_callback(lambda late: late.cancelled() or late.exception())
    raise TimeoutError


async def from_description(
    execution: WorkflowExecution, settings: Settings, namespace: str
) -> OrderPublic:
    summary = to_summary(execution, settings, namespace)
    memo = await execution.memo()
    return OrderPublic(
        order_id=summary.order_id,
        status=summary.status or OrderStatus.RECEIVED,
        customer_id=summary.customer_id or "",
        currency=memo.get("currency"),
        links=summary.links,
    )


def to_summary(execution: WorkflowExecution, settings: Settings, namespace: str) -> OrderSummary:
    attributes = execution.typed_search_attributes
    order_id = execution.id.removeprefix(WORKFLOW_ID_PREFIX)
    status = attributes.get(ORDER_STATUS)
    return OrderSummary(
        order_id=order_id,
        status=OrderStatus(status)
        if status is not None and status in OrderStatus.__members__
        else None,
        customer_id=attributes.get(CUSTOMER_ID),
        order_total=attributes.get(ORDER_TOTAL),
        started_at=execution.start_time,
        closed_at=execution.close_time,
        links=links(settings, namespace, order_id),
    )


def list_query(status: OrderStatus | None, customer_id: str | None) -> str:
    clauses = [f'WorkflowType = "{OrderWorkflow.__name__}"']
    if status is not None:
        clauses.append(f'{ORDER_STATUS.name} = "{status.value}"')
    if customer_id is not None:
        clauses.append(f'{CUSTOMER_ID.name} = "{customer_id}"')  # quotes are refused upstream
    return " AND ".join(clauses)  # visibility lists newest first


async def order_page(
    client: Client,
    settings: Settings,
    *,
    status: OrderStatus | None,
    customer_id: str | None,
    page_size: int,
    page_token: str | None,
) -> OrderPage:
    query = list_query(status, customer_id)
    executions = client.list_workflows(
        query,
        page_size=page_size,
        next_page_token=_decode(page_token, query),
        rpc_timeout=RPC_TIMEOUT,
    )
    async with rpc_errors():
        await executions.fetch_next_page()
    page = executions.current_page or []
    token = executions.next_page_token
    return OrderPage(
        orders=[to_summary(execution, settings, client.namespace) for execution in page],
        next_page_token=_encode(token, query) if token else None,
    )


# Page tokens wrap Temporal's opaque token with a digest that binds it to the query it pages
# through: a mangled token, or one reused with other filters, is a 400 at once rather than an
# opaque server error after retries.


def _digest(token: bytes, query: str) -> str:
    return hashlib.sha256(query.encode() + b"\0" + token).hexdigest()[:16]


def _encode(token: bytes, query: str) -> str:
    return f"{base64.urlsafe_b64encode(token).decode()}.{_digest(token, query)}"


def _decode(page_token: str | None, query: str) -> bytes | None:
    if not page_token:
        return None
    encoded, _, digest = page_token.rpartition(".")
    try:
        token = base64.b64decode(encoded.encode(), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        token = b""
    if not token or not hmac.compare_digest(digest, _digest(token, query)):
        raise ProblemError(
            400,
            "invalid_page_token",
            "Invalid page token",
            "page_token is not one this API issued for these filters.",
        )
    return token
