"""CPU per participant call: the inventory service alone, taking reservations.

`python -m tools.bench.participant_call` starts the inventory service in a process of its own, as
`orders dev` runs it (uvicorn, SQLite in WAL mode, the service token, logs at `info`), on a free
port and a fresh database. It raises a SKU's stock out of reach, warms up, then sends `--count`
reservations, `--concurrency` at a time, each with its `Idempotency-Key` as the orchestrator
sends it, and prints the calls per second and the service's CPU milliseconds per call (user +
system time from /proc).

`orders bench` measures the whole stack, where the machine's noise hides a change of a few
percent in one process; this measures one process's cost per request and little else. Run it a
few times before and after a change, alternating.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import httpx
import typer

from tools.bench.cpu import tree_cpu_seconds
from tools.stack.components import service_component
from tools.stack.processes import Process, free_port, wait_until

SKU = "WIDGET-1"
WARMUP = 100


@dataclass(frozen=True)
class Measured:
    calls: int
    seconds: float
    cpu_seconds: float

    @property
    def per_second(self) -> float:
        return self.calls / self.seconds

    @property
    def cpu_ms_per_call(self) -> float:
        return 1000 * self.cpu_seconds / self.calls


async def measure(count: int, concurrency: int, data: Path) -> Measured:
    port, token = free_port(), secrets.token_urlsafe(24)
    inventory = service_component("inventory", port, data, token)
    service = Process(inventory.name, inventory.argv, inventory.env, log=data / "inventory.log")
    service.start()
    try:
        await wait_until(inventory.ready, what="the inventory service", process=service)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        ) as http:
            stocked = await http.put(f"/admin/stock/{SKU}", json={"quantity": 10**9})
            stocked.raise_for_status()

            async def reserve(index: int) -> None:
                order_id = f"call-{index}"
                response = await http.post(
                    "/reservations",
                    json={"order_id": order_id, "items": [{"sku": SKU, "quantity": 1}]},
                    headers={"Idempotency-Key": f"order-{order_id}:reserve"},
                )
                if response.status_code != 201:
                    raise RuntimeError(
                        f"reservation {index}: {response.status_code} {response.text}"
                    )

            async def calls(first: int, number: int) -> None:
                indexes = iter(range(first, first + number))

                async def lane() -> None:
                    for index in indexes:
                        await reserve(index)

                await asyncio.gather(*(lane() for _ in range(concurrency)))

            await calls(0, WARMUP)
            assert service.popen is not None
            cpu_before, began = tree_cpu_seconds(service.popen.pid), time.perf_counter()
            await calls(WARMUP, count)
            seconds = time.perf_counter() - began
            cpu_seconds = tree_cpu_seconds(service.popen.pid) - cpu_before
    finally:
        service.stop()
    return Measured(count, seconds, cpu_seconds)


def main(
    count: Annotated[int, typer.Option(min=1, help="Reservations measured.")] = 2000,
    concurrency: Annotated[int, typer.Option(min=1, help="Reservations in flight at once.")] = 8,
) -> None:
    """CPU milliseconds per reservation of the inventory service, alone on a fresh database."""
    with tempfile.TemporaryDirectory(prefix="orders-participant-call-") as data:
        result = asyncio.run(measure(count, concurrency, Path(data)))
    typer.echo(
        f"{result.calls} reservations at {concurrency} in flight: "
        f"{result.per_second:.0f} calls/s, {result.cpu_ms_per_call:.2f} ms of the service's CPU "
        "per call"
    )


if __name__ == "__main__":
    typer.run(main)
