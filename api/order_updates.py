"""Asking a running order to do something (cancel, finish): one Temporal update, its refusals
as 409 problems, a missing worker or a busy order as a 503 with `Retry-After`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.temporal import RPC_TIMEOUT, rpc_errors, worker_unavailable
from api.views import describe
from orders.problems import ProblemError
from orders.temporal import ORDER_STATUS, workflow_id

R = TypeVar("R", bound=BaseModel)


@dataclass(frozen=True)
class Refusal:
    """How the API says an order refused an update (`what`): `code`, `title`, the update's
    error type, and what to say of an order that has closed (`<order> is <status>; <settled>`)."""

    what: str
    code: str
    title: str
    rejected_type: str
    settled: str

    def problem(self, detail: str) -> ProblemError:
        return ProblemError(409, self.code, self.title, detail)

    def closed(self, order_id: str, description: WorkflowExecutionDescription) -> ProblemError:
        status = description.typed_search_attributes.get(ORDER_STATUS) or "closed"
        return self.problem(f"order {order_id} is {status}; {self.settled}")


async def update_order(
    client: Client,
    order_id: str,
    description: WorkflowExecutionDescription,
    update: Any,
    request: BaseModel,
    result_type: type[R],
    refusal: Refusal,
    *,
    update_id: str | None = None,
) -> R:
    """Run `update` on the order described by `description` and answer its result."""
    if description.status is not WorkflowExecutionStatus.RUNNING:
        raise refusal.closed(order_id, description)
    handle = client.get_workflow_handle(workflow_id(order_id))
    async with rpc_errors():
        try:
            result: R = await handle.execute_update(
                update, request, id=update_id, result_type=result_type, rpc_timeout=RPC_TIMEOUT
            )
        except WorkflowUpdateRPCTimeoutOrCancelledError as exc:
            raise worker_unavailable(refusal.what) from exc
        except WorkflowUpdateFailedError as exc:
            cause = exc.cause
            if isinstance(cause, ApplicationError) and cause.type == refusal.rejected_type:
                raise refusal.problem(cause.message) from exc
            raise
        except RPCError as exc:
            if exc.status is not RPCStatusCode.NOT_FOUND:
                raise
            # Its workflow closed since it was described.
            raise refusal.closed(order_id, await describe(client, order_id)) from exc
    return result
