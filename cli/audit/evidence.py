"""What the audit reads: every source of truth about the orders, gathered into `Evidence`.

```
Temporal visibility + each order's state ─┐
inventory /reservations, payment /charges, ├─▶ Evidence
  shipping /shipments (paged, all)        │
ORDER_EVENTS messages per subject         │
notification, loyalty, analytics          ┘
```

Only reads. A source that cannot be read is an `AuditError`: the audit concludes nothing.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowExecutionStatus,
    WorkflowQueryFailedError,
)
from temporalio.service import RPCError

from cli.errors import Unreachable
from orders.bus import STREAM
from orders.models import OrderState
from orders.temporal import workflow_id
from workflows.order import OrderWorkflow

PAGE = 1000
CONCURRENCY = 16
QUERY_TIMEOUT = timedelta(seconds=5)
ID_PREFIX = "order-"
COLLECTIONS = {"inventory": "/reservations", "payment": "/charges", "shipping": "/shipments"}


class AuditError(Unreachable):
    """A source could not be read: the audit concludes nothing (exit 2)."""


@dataclass(frozen=True)
class Sources:
    """Clients of everything the audit reads; the caller owns and closes them."""

    temporal: Client
    js: JetStreamContext
    http: dict[str, httpx.AsyncClient]
    """inventory, payment, shipping, notification, loyalty, analytics."""


@dataclass
class AuditedOrder:
    order_id: str
    workflow_status: WorkflowExecutionStatus | None
    started_at: datetime
    state: OrderState | None = None

    @property
    def status(self) -> str:
        return self.state.status.value if self.state else "UNKNOWN"

    @property
    def last_transition(self) -> datetime:
        moments = [self.started_at]
        if self.state:
            for record in [*self.state.steps, *self.state.compensations]:
                moments.append(record.finished_at or record.started_at)
        return max(moments)


@dataclass
class Evidence:
    orders: list[AuditedOrder]
    known_ids: set[str]
    records: dict[str, dict[str, list[dict[str, Any]]]]
    """service → order id → records created in scope."""
    events: Counter[tuple[str, str]]
    """(kind, subject token) → messages in the stream."""
    notifications: dict[str, int] = field(default_factory=dict)
    loyalty: dict[str, int] = field(default_factory=dict)
    analytics: dict[date, dict[str, int]] = field(default_factory=dict)
    applied: dict[str, dict[str, int]] = field(default_factory=dict)
    """consumer → order id → events about it the consumer applied (its effects)."""


# --- reading ----------------------------------------------------------------------------------


async def gather_evidence(sources: Sources, *, since: datetime | None) -> Evidence:
    executions = [e async for e in sources.temporal.list_workflows(_query())]
    in_scope = [e for e in executions if since is None or e.start_time >= since]
    limit = asyncio.Semaphore(CONCURRENCY)
    orders = list(await asyncio.gather(*(_order(sources.temporal, e, limit) for e in in_scope)))
    records = {
        service: await _records(sources.http[service], path, since)
        for service, path in COLLECTIONS.items()
    }
    # Listed again after the records: an order placed while they were read is known, so its
    # records are not taken for orphans on a busy system. Orders are judged as first read, and
    # the records of an order settled by then were all written before they were read.
    known = {e.id.removeprefix(ID_PREFIX) async for e in sources.temporal.list_workflows(_query())}
    evidence = Evidence(orders, known, records, await _events(sources.js))
    await _consumers(sources, evidence, limit)
    return evidence


def _query() -> str:
    return f'WorkflowType = "{OrderWorkflow.__name__}"'


async def _order(
    client: Client, execution: WorkflowExecution, limit: asyncio.Semaphore
) -> AuditedOrder:
    order = AuditedOrder(
        execution.id.removeprefix(ID_PREFIX), execution.status, execution.start_time
    )
    handle = client.get_workflow_handle_for(OrderWorkflow.run, workflow_id(order.order_id))
    async with limit:
        try:
            if execution.status is WorkflowExecutionStatus.COMPLETED:
                order.state = await handle.result()
            elif execution.status is WorkflowExecutionStatus.RUNNING:
                order.state = await handle.query(OrderWorkflow.status, rpc_timeout=QUERY_TIMEOUT)
        except (WorkflowQueryFailedError, RPCError):  # no worker answered: judged on visibility
            order.state = None
    return order


async def _get(http: httpx.AsyncClient, path: str, **params: Any) -> Any:
    try:
        response = await http.get(path, params=params)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise AuditError(f"cannot read {http.base_url}{path}: {exc}") from exc
    return response.json()


async def _records(
    http: httpx.AsyncClient, path: str, since: datetime | None
) -> dict[str, list[dict[str, Any]]]:
    by_order: dict[str, list[dict[str, Any]]] = defaultdict(list)
    offset = 0
    while True:
        page: list[dict[str, Any]] = await _get(http, path, limit=PAGE, offset=offset)
        for record in page:
            created = datetime.fromisoformat(record["created_at"])
            created = created if created.tzinfo else created.replace(tzinfo=UTC)
            if since is None or created >= since:
                by_order[record["order_id"]].append(record)
        if len(page) < PAGE:
            return by_order
        offset += PAGE


async def _events(js: JetStreamContext) -> Counter[tuple[str, str]]:
    try:
        info = await js.stream_info(STREAM, subjects_filter="orders.events.>")
    except (NatsError, OSError) as exc:
        raise AuditError(f"cannot read the stream {STREAM}: {exc}") from exc
    counts: Counter[tuple[str, str]] = Counter()
    for subject, messages in (info.state.subjects or {}).items():
        _, _, kind, token = subject.split(".", 3)
        counts[kind, token] += messages
    return counts


async def _consumers(sources: Sources, evidence: Evidence, limit: asyncio.Semaphore) -> None:
    settled = [o for o in evidence.orders if o.state and o.state.status.is_terminal]

    async def notifications(order_id: str) -> None:
        async with limit:
            sent = await _get(sources.http["notification"], "/notifications", order_id=order_id)
        evidence.notifications[order_id] = len(sent)

    async def loyalty(customer_id: str) -> None:
        async with limit:
            ledger = await _get(sources.http["loyalty"], f"/customers/{customer_id}/points")
        for entry in ledger["entries"]:
            evidence.loyalty[entry["order_id"]] = evidence.loyalty.get(entry["order_id"], 0) + 1

    async def analytics(day: date) -> None:
        figures = await _get(sources.http["analytics"], "/daily", day=day.isoformat())
        evidence.analytics[day] = figures["outcomes"]

    async def applied(consumer: str, order_id: str) -> None:
        async with limit:
            events = await _get(sources.http[consumer], "/events", order_id=order_id)
        evidence.applied.setdefault(consumer, {})[order_id] = len(events)

    customers = {o.state.customer_id for o in settled if o.state}
    await asyncio.gather(
        *(notifications(o.order_id) for o in settled),
        *(
            applied(consumer, o.order_id)
            for consumer in ("notification", "loyalty", "analytics")
            for o in settled
        ),
        *(loyalty(customer) for customer in customers),
        *(analytics(day) for day in {settled_day(o) for o in settled}),
    )


def settled_day(order: AuditedOrder) -> date:
    """The UTC day analytics counts an order on: when its last step or undo finished."""
    return order.last_transition.astimezone(UTC).date()
