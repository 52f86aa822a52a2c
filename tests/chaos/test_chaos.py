"""Orders placed continuously while the stack is broken in every way we know, then `orders
audit`: nothing lost, nothing twice, nothing stuck.

Faults, one after another, each held while `CHAOS_ORDERS_PER_FAULT` more orders are placed:
the orchestrator worker SIGKILLed; nats-server restarted; the shipping service down; payment
failing half its calls; the loyalty consumer SIGKILLed in the middle of its batch; the Temporal
dev server restarted on its file store, while clients resubmit orders already placed. All along,
some orders are cancelled as soon as they are placed, and some are resubmitted, waiting or not.
Between two faults `orders audit --in-flight` checks what can never heal, so a violation that a
later step would mend is still reported. The short form (one round, a few orders per fault) runs
in `make test`; `make chaos` runs more of both.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from orders.temporal import connect
from tests.chaos.stack import ChaosStack
from tests.integration.orders import poll

log = logging.getLogger("chaos")

ROUNDS = int(os.environ.get("CHAOS_ROUNDS", "1"))
PER_FAULT = int(os.environ.get("CHAOS_ORDERS_PER_FAULT", "3"))
CONCURRENCY = 4
ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "12 St James's Square",
    "city": "London",
    "postal_code": "SW1Y 4JH",
    "country": "GB",
}


def order_body(number: int) -> dict[str, Any]:
    """Mostly orders that complete; every fifth declined, every seventh out of stock."""
    items = [{"sku": "WIDGET-1", "quantity": 1}]
    if number % 7 == 6:
        items = [{"sku": "RARE-9", "quantity": 1}]
    return {
        "order_id": f"chaos-{number}-{uuid.uuid4().hex[:6]}",
        "customer_id": f"cust-chaos-{number % 3}",
        "currency": "USD",
        "items": items,
        "payment_token": "tok_chargeDeclined" if number % 5 == 4 else "tok_visa",
        "shipping_address": ADDRESS,
    }


CANCEL_EVERY = 6
"""Every sixth order is cancelled as soon as it is placed."""
RESUBMIT_EVERY = 4
"""Every fourth order is sent again (alternately waiting) once placed, as a retrying client."""


def retryable(response: httpx.Response) -> bool:
    """The API's answer when the stack is down or busy: a 429 or 503 problem with Retry-After.

    Any other 5xx is a failure of the test: no client behaviour gets one.
    """
    if response.status_code not in (429, 503):
        return False
    assert response.headers["content-type"] == "application/problem+json", response.text
    assert "retry-after" in response.headers, response.headers
    return True


@dataclass
class Load:
    """Places orders through the API, `CONCURRENCY` at a time, until stopped. A submission that
    fails (API busy, connection cut) is resubmitted as the same order: the API is idempotent.
    Some orders are cancelled once placed, some resubmitted; with `resubmitting` on, every
    placement also resubmits an order placed earlier."""

    api: httpx.AsyncClient
    placed: list[str] = field(default_factory=list)
    cancelled: set[str] = field(default_factory=set)
    """Orders whose cancel the API accepted (202): each must end CANCELLED."""
    bodies: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0
    resubmitted: int = 0
    resubmitting: bool = False
    stopping: bool = False
    cancels: set[asyncio.Task[None]] = field(default_factory=set)
    """Cancels still being answered: without a worker they wait for one, and placing goes on."""
    going: asyncio.Event = field(default_factory=asyncio.Event)
    """Cleared, no new batch starts (the orders in flight go on): an audit's pause."""

    def __post_init__(self) -> None:
        self.going.set()

    async def run(self) -> None:
        number = 0
        while not self.stopping:
            await self.going.wait()
            numbers = range(number, number + CONCURRENCY)
            number += CONCURRENCY
            await asyncio.gather(*(self._order(n, order_body(n)) for n in numbers))

    async def _order(self, number: int, body: dict[str, Any]) -> None:
        await self._place(body)
        if number % CANCEL_EVERY == 3:
            self.cancels.add(asyncio.create_task(self._cancel(body["order_id"])))
        if number % RESUBMIT_EVERY == 1:
            await self._place(body, wait=number % (2 * RESUBMIT_EVERY) == 1, again=True)
        if self.resubmitting and len(self.bodies) > 1:
            earlier = self.bodies[number % (len(self.bodies) - 1)]
            await self._place(earlier, wait=number % 2 == 0, again=True)

    async def _place(
        self, body: dict[str, Any], *, wait: bool = False, again: bool = False
    ) -> None:
        path = "/orders?wait=1" if wait else "/orders"
        for _ in range(100):
            try:
                response = await self.api.post(path, json=body)
            except httpx.HTTPError:
                self.refused += 1
                await asyncio.sleep(0.2)
                continue
            if response.status_code in (200, 202):
                if again:
                    self.resubmitted += 1
                else:
                    self.placed.append(body["order_id"])
                    self.bodies.append(body)
                return
            # Never our fault: the stack is down, or it asks us to slow down.
            assert retryable(response), response.text
            self.refused += 1
            await asyncio.sleep(float(response.headers["retry-after"]))
        raise AssertionError(f"order {body['order_id']} never accepted")

    async def _cancel(self, order_id: str) -> None:
        for _ in range(100):
            try:
                response = await self.api.post(f"/orders/{order_id}/cancel")
            except httpx.HTTPError:
                await asyncio.sleep(0.2)
                continue
            if response.status_code == 202:
                self.cancelled.add(order_id)
                return
            if response.status_code == 409:  # settled already, or failing: not cancelled
                assert response.json()["code"] == "cannot_cancel", response.text
                return
            assert retryable(response), response.text
            await asyncio.sleep(float(response.headers["retry-after"]))
        raise AssertionError(f"the cancel of {order_id} was never answered")


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[ChaosStack]:
    chaos = ChaosStack(tmp_path / "data")
    try:
        await chaos.start_all()
        yield chaos
    finally:
        chaos.stop_all()


async def audit(stack: ChaosStack, since: datetime, *extra: str) -> tuple[int, dict[str, Any]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli",
        *stack.audit_args(),
        "--since",
        since.isoformat(),
        *extra,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    code = await process.wait()
    lines = [line for line in out.decode().splitlines() if line.startswith("{")]
    return code, (json.loads(lines[-1]) if lines else {"output": out.decode()})


@pytest.mark.timeout(1800)
async def test_nothing_is_lost_or_doubled_or_stuck_whatever_crashes(stack: ChaosStack) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    faults: list[str] = []
    seen: list[dict[str, Any]] = []
    """Violations `orders audit --in-flight` found during the run: none may ever be seen."""
    async with httpx.AsyncClient(
        base_url=stack.url("api"), timeout=15, headers=stack.headers("api")
    ) as api:
        load = Load(api)
        placing = asyncio.create_task(load.run())

        async def audit_in_flight(before: str) -> None:
            """Everything is up between two faults: what can never heal must hold now, with
            orders still in flight (no new ones meanwhile, so that the audits stay short)."""
            load.going.clear()
            try:
                code, report = await audit(stack, since, "--in-flight")
            finally:
                load.going.set()
            assert code in (0, 1), report
            seen.extend({**v, "before": before} for v in report["violations"])

        async def while_placing(name: str, begin: Callable[[], Awaitable[None] | None]) -> None:
            await audit_in_flight(name)
            mark = len(load.placed)
            started = begin()
            if started is not None:
                await started
            faults.append(name)
            log.warning("fault %d: %s (after %d orders)", len(faults), name, mark)
            await poll(
                lambda: placing.done() or len(load.placed) >= mark + PER_FAULT,
                what=f"{PER_FAULT} orders placed during {name}",
                within=300,
            )
            assert not placing.done(), placing.exception()

        async def resubmitting_while(restart_temporal: Awaitable[None]) -> None:
            load.resubmitting = True
            try:
                await restart_temporal
            finally:
                load.resubmitting = False

        async def payment_faults(error_rate: float) -> None:
            async with httpx.AsyncClient(
                base_url=stack.url("payment"), headers=stack.headers("payment")
            ) as payment:
                response = await payment.post("/admin/faults", json={"error_rate": error_rate})
                response.raise_for_status()

        async def restart(name: str) -> None:
            stack.stop(name)
            await stack.start(name)

        try:
            await poll(lambda: len(load.placed) >= PER_FAULT, what="orders flowing", within=60)
            for _ in range(ROUNDS):
                await while_placing("worker SIGKILL", lambda: stack.kill("worker"))
                await stack.start("worker")
                await while_placing("nats-server restart", lambda: stack.stop("nats"))
                await stack.start("nats")
                await while_placing("shipping down", lambda: stack.stop("shipping"))
                await stack.start("shipping")
                await while_placing("payment fails half its calls", lambda: payment_faults(0.5))
                await payment_faults(0.0)
                await while_placing("loyalty SIGKILL mid-batch", lambda: stack.kill("loyalty"))
                await stack.start("loyalty")
                await while_placing(
                    "Temporal dev server restart, clients resubmitting",
                    lambda: resubmitting_while(restart("temporal")),
                )
            await audit_in_flight("the end")
        finally:
            load.stopping = True
            await placing
            await asyncio.gather(*load.cancels)

    client = await connect(target_host=stack.temporal)

    async def all_settled() -> bool:
        running = 'WorkflowType = "OrderWorkflow" AND ExecutionStatus = "Running"'
        return (await client.count_workflows(running)).count == 0

    await poll(all_settled, what="every order settled", within=600)

    report: dict[str, Any] = {}

    async def clean() -> bool:
        nonlocal report
        code, report = await audit(stack, since)
        return code == 0

    await poll(clean, what="a clean audit once the consumers caught up", within=300)
    log.warning(
        "chaos: %d orders placed (%d submissions retried, %d resubmitted, %d cancelled), "
        "%d faults injected, %d violations in flight, %d at the end: %s",
        len(load.placed),
        load.refused,
        load.resubmitted,
        len(load.cancelled),
        len(faults),
        len(seen),
        len(report["violations"]),
        report["statuses"],
    )
    assert seen == []
    assert report["violations"] == []
    assert report["orders"] == len(load.placed)
    assert "COMPENSATION_FAILED" not in report["statuses"]
    # Accepted cancels, and only those, end CANCELLED: nothing in chaos cancels otherwise.
    assert report["statuses"].get("CANCELLED", 0) == len(load.cancelled)
