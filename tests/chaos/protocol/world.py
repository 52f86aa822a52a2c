"""The stack as the machine acts on it: the API as a client calls it, the participants' fault
switches and records, Temporal (a cancellation, a history, visibility), the worker process and
the audit. Every method is a coroutine on the test's event loop; the machine, which runs in a
thread of its own, submits them there (`run.Bridge`).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from temporalio.client import Client
from temporalio.converter import PayloadConverter
from temporalio.service import RPCError

from cli.audit.checks import AuditReport, audit
from cli.audit.commands import sources
from orders.bus import CONSUMERS
from orders.models import OrderStatus
from orders.temporal import CUSTOMER_ID, ORDER_STATUS, workflow_id
from tests.chaos.protocol.answers import (
    Answer,
    AnswerViolation,
    answer_of,
    deadline,
)
from tests.chaos.protocol.bodies import RESTOCKED
from tests.chaos.stack import ChaosStack
from tests.integration.participants import COLLECTIONS
from tools.stack.settings import SERVICES

READ_ATTEMPTS = 5
"""Reads of a participant's records, which its injected errors fail like any request."""


@dataclass
class World:
    stack: ChaosStack
    api: httpx.AsyncClient
    services: dict[str, httpx.AsyncClient]
    temporal: Client

    # --- the API ------------------------------------------------------------------------------

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
        wait: float | None = None,
    ) -> Answer:
        """One API request, timed; no answer by its deadline is a violation in itself."""
        limit = deadline(wait)
        params = {"wait": wait} if wait is not None else None
        request = f"{method} {path}" + (f"?wait={wait}" if wait is not None else "")
        started = time.monotonic()
        try:
            response = await self.api.request(
                method,
                path,
                json=json,
                headers=headers,
                params=params,
                timeout=limit + 1,
            )
        except httpx.TimeoutException as exc:
            raise AnswerViolation(f"{request}: no answer within {limit:.1f}s ({exc!r})") from exc
        return answer_of(request, response, time.monotonic() - started, limit)

    # --- the participants ----------------------------------------------------------------------

    async def set_faults(self, service: str, faults: dict[str, Any]) -> None:
        response = await self.services[service].post("/admin/faults", json=faults)
        response.raise_for_status()

    async def clear_faults(self, service: str) -> None:
        (await self.services[service].delete("/admin/faults")).raise_for_status()

    async def held(self, service: str) -> int:
        response = await self.services[service].get("/admin/faults")
        response.raise_for_status()
        return int(response.json()["held"])

    async def records(self, service: str, order_id: str) -> list[dict[str, Any]] | None:
        """The service's reservations, charges or shipments of the order; None while its
        injected errors keep answering for it (the caller reads again later)."""
        for _ in range(READ_ATTEMPTS):
            response = await self.services[service].get(
                COLLECTIONS[service], params={"order_id": order_id}
            )
            if response.status_code != 503:
                response.raise_for_status()
                found: list[dict[str, Any]] = response.json()
                return found
        return None

    async def restock(self) -> None:
        for sku, quantity in RESTOCKED.items():
            response = await self.services["inventory"].put(
                f"/admin/stock/{sku}", json={"quantity": quantity}
            )
            response.raise_for_status()

    # --- Temporal ------------------------------------------------------------------------------

    async def temporal_cancel(self, order_id: str) -> str:
        """Cancel the order's workflow as the Web UI's button does; what the server said."""
        try:
            await self.temporal.get_workflow_handle(workflow_id(order_id)).cancel()
        except RPCError as exc:
            return f"refused: {exc.status.name if exc.status else ''} {exc.message}"
        return "requested"

    async def cancel_reached_at(self, order_id: str) -> OrderStatus | None:
        """The order's status when its workflow received its first cancellation request.

        The history records the request where the workflow met it: after the commands of a
        workflow task that was running when it came, before the next task, which delivers it.
        So the status the workflow saw is the last `OrderStatus` it upserted before that
        event, or the one it started with.
        """
        handle = self.temporal.get_workflow_handle(workflow_id(order_id))
        status: OrderStatus | None = None
        async for event in handle.fetch_history_events():
            if event.HasField("workflow_execution_cancel_requested_event_attributes"):
                return status
            if event.HasField("workflow_execution_started_event_attributes"):
                attributes = event.workflow_execution_started_event_attributes.search_attributes
            elif event.HasField("upsert_workflow_search_attributes_event_attributes"):
                upsert = event.upsert_workflow_search_attributes_event_attributes
                attributes = upsert.search_attributes
            else:
                continue
            fields = attributes.indexed_fields
            if ORDER_STATUS.name in fields:
                value = PayloadConverter.default.from_payload(fields[ORDER_STATUS.name], str)
                status = OrderStatus(value)
        return None

    async def running_orders(self) -> int:
        query = 'WorkflowType = "OrderWorkflow" AND ExecutionStatus = "Running"'
        return (await self.temporal.count_workflows(query)).count

    async def workflow_ids(self, customers: list[str]) -> list[str]:
        """The id of every order workflow of these customers, once per run."""
        named = ", ".join(f'"{customer}"' for customer in customers)
        query = f'WorkflowType = "OrderWorkflow" AND {CUSTOMER_ID.name} IN ({named})'
        return [execution.id async for execution in self.temporal.list_workflows(query)]

    # --- the worker and the audit ----------------------------------------------------------

    async def stop_worker(self, *, kill: bool) -> None:
        # SIGTERM waits for running activities (up to the participants' HTTP timeout): a
        # thread, so that the loop keeps serving the machine's other calls meanwhile.
        stop = self.stack.kill if kill else self.stack.stop
        await asyncio.to_thread(stop, "worker")

    async def start_worker(self) -> None:
        await self.stack.start("worker")

    async def audit(self, since: datetime) -> AuditReport:
        """`orders audit --since` in process, against every source the stack runs."""
        urls = {name: self.stack.url(name) for name in (*SERVICES, *CONSUMERS)}
        async with sources(self.stack.temporal, urls, self.stack.nats) as found:
            return await audit(
                found, since=since, stuck_after=timedelta(minutes=5), now=datetime.now(UTC)
            )
