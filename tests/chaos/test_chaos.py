"""Orders placed continuously while the stack is broken in every way we know, then `orders
audit`: nothing lost, nothing twice, nothing stuck.

Faults, one after another, each held while `CHAOS_ORDERS_PER_FAULT` more orders are placed:
the orchestrator worker SIGKILLed; nats-server restarted; the shipping service down; payment
failing half its calls; the loyalty consumer SIGKILLed in the middle of its batch; the Temporal
dev server restarted on its file store. The short form (one round, a few orders per fault) runs
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


@dataclass
class Load:
    """Places orders through the API, `CONCURRENCY` at a time, until stopped. A submission that
    fails (API busy, connection cut) is resubmitted as the same order: the API is idempotent."""

    api: httpx.AsyncClient
    placed: list[str] = field(default_factory=list)
    refused: int = 0
    stopping: bool = False

    async def run(self) -> None:
        number = 0
        while not self.stopping:
            bodies = [order_body(number + i) for i in range(CONCURRENCY)]
            number += CONCURRENCY
            await asyncio.gather(*(self._place(body) for body in bodies))

    async def _place(self, body: dict[str, Any]) -> None:
        for _ in range(100):
            try:
                response = await self.api.post("/orders", json=body)
            except httpx.HTTPError:
                self.refused += 1
                await asyncio.sleep(0.2)
                continue
            if response.status_code in (200, 202):
                self.placed.append(body["order_id"])
                return
            # Never our fault: the stack is down, or it asks us to slow down.
            assert response.status_code == 429 or response.status_code >= 500, response.text
            self.refused += 1
            await asyncio.sleep(float(response.headers.get("retry-after", 0.2)))
        raise AssertionError(f"order {body['order_id']} never accepted")


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[ChaosStack]:
    chaos = ChaosStack(tmp_path / "data")
    try:
        await chaos.start_all()
        yield chaos
    finally:
        chaos.stop_all()


async def audit(stack: ChaosStack, since: datetime) -> tuple[int, dict[str, Any]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli",
        *stack.audit_args(),
        "--since",
        since.isoformat(),
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
    async with httpx.AsyncClient(
        base_url=stack.url("api"), timeout=15, headers=stack.headers("api")
    ) as api:
        load = Load(api)
        placing = asyncio.create_task(load.run())

        async def while_placing(name: str, begin: Callable[[], Awaitable[None] | None]) -> None:
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
                await while_placing("Temporal dev server restart", lambda: restart("temporal"))
        finally:
            load.stopping = True
            await placing

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
        "chaos: %d orders placed (%d submissions retried), %d faults injected, %d violations: %s",
        len(load.placed),
        load.refused,
        len(faults),
        len(report["violations"]),
        report["statuses"],
    )
    assert report["violations"] == []
    assert report["orders"] == len(load.placed)
    assert "COMPENSATION_FAILED" not in report["statuses"]
