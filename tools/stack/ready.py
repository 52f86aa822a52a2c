"""Readiness probes: each a function that answers whether a process is ready yet, polled by
`tools.stack.processes.wait_until`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import nats
import nats.errors
from temporalio.client import Client

from orders.temporal import TASK_QUEUE, has_workflow_pollers


def nats_ready(url: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        try:
            nc = await nats.connect(
                url, allow_reconnect=False, connect_timeout=1, error_cb=_ignore_while_starting
            )
        except (OSError, nats.errors.Error):
            return False
        try:
            await nc.jetstream().account_info()
            return True
        except nats.errors.Error:
            return False
        finally:
            await nc.close()

    return check


async def _ignore_while_starting(error: Exception) -> None:
    """The server is still starting: refusals are expected, the poll tries again."""


def temporal_ready(address: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        try:
            # A health check reads no payloads: no keys needed, so any process can ask.
            client = await Client.connect(address)
        except RuntimeError:  # the SDK's "Failed client connect" while the server starts
            return False
        return await client.service_client.check_health()

    return check


def pollers_ready(address: str, task_queue: str = TASK_QUEUE) -> Callable[[], Awaitable[bool]]:
    """Ready once a worker polls `task_queue`. It connects once, not on every poll, and without
    payload keys: describing a task queue reads no payloads."""
    client: Client | None = None

    async def check() -> bool:
        nonlocal client
        client = client or await Client.connect(address)
        return await has_workflow_pollers(client, task_queue)

    return check


def http_ok(url: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        async with httpx.AsyncClient(timeout=2.0) as http:
            return (await http.get(url)).status_code == 200

    return check


def port_open(port: int, host: str = "127.0.0.1") -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        _, writer = await asyncio.open_connection(host, port)
        writer.close()
        await writer.wait_closed()
        return True

    return check
