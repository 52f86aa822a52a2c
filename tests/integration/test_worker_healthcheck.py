"""`python -m workers.healthcheck`, the worker container's health check, on a real server."""

from __future__ import annotations

import asyncio
import os
import socket
import sys

import pytest
from temporalio.worker import Worker

from tests.integration.orders import poll
from tools.stack.processes import free_port
from workers.healthcheck import polled_from


async def test_it_sees_the_worker_polling_from_this_host_only(
    worker: Worker, temporal_address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", temporal_address)
    here = socket.gethostname()

    # A worker that has just started takes a moment to show up among the pollers.
    await poll(lambda: polled_from(here, "orders"), what=f"a worker on {here} polls")
    assert not await polled_from("another-host.invalid", "orders")
    assert not await polled_from(here, "nobody-polls-this")


async def polled_from_env(address: str) -> bool:
    return (await healthcheck(address))[0] == 0


async def healthcheck(address: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "workers.healthcheck",
        env={**os.environ, "TEMPORAL_ADDRESS": address},
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await process.communicate()
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def test_as_a_process_it_exits_0_when_healthy_and_1_with_a_reason(
    worker: Worker, temporal_address: str
) -> None:
    await poll(lambda: polled_from_env(temporal_address), what="the worker polls")
    assert await healthcheck(temporal_address) == (0, "")

    status, reason = await healthcheck(f"127.0.0.1:{free_port()}")
    assert status == 1
    assert reason.startswith("unhealthy: ")
