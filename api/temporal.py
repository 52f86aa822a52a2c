"""The API's one Temporal client, connected on first use so that the API starts, and answers
503 with a clear problem, while Temporal is down."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from orders.problems import ProblemError
from orders.settings import Settings
from orders.temporal import connect

log = logging.getLogger("orders.api")

RPC_TIMEOUT = timedelta(seconds=10)
"""Every call the API makes to Temporal gives up after this: a request never hangs on it."""

UNAVAILABLE = frozenset(
    {RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED}
)


RETRY_AFTER_SECONDS = 2
"""What a 503 tells a client to wait before it tries again."""


def temporal_unavailable(reason: str) -> ProblemError:
    return ProblemError(
        503,
        "temporal_unavailable",
        "Temporal is unavailable",
        f"The order service cannot reach Temporal right now ({reason}). Try again shortly.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def order_busy() -> ProblemError:
    return ProblemError(
        503,
        "order_busy",
        "Order busy",
        "Temporal is handling as many requests for this order as it admits at once. "
        "Try again shortly; nothing was changed.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def worker_unavailable(what: str) -> ProblemError:
    return ProblemError(
        503,
        "worker_unavailable",
        "No worker answered",
        f"No order worker took the {what} in time: it may still take effect once one does. "
        "Try again shortly; trying again is safe.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


class TemporalGateway:
    def __init__(self, settings: Settings, client: Client | None = None) -> None:
        self._settings = settings
        self._client = client
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    self._client = await self._connect()
        return self._client

    async def _connect(self) -> Client:
        try:
            async with asyncio.timeout(self._settings.temporal_connect_timeout_seconds):
                return await connect()
        except (RuntimeError, TimeoutError, RPCError) as exc:
            log.warning("cannot connect to Temporal: %s", exc)
            raise temporal_unavailable("no connection") from exc


@asynccontextmanager
async def rpc_errors() -> AsyncIterator[None]:
    """Turn Temporal's transport failures and refusals for load into a 503 problem with
    `Retry-After`, never a stack trace."""
    try:
        yield
    except RPCError as exc:
        if exc.status in UNAVAILABLE:
            log.warning("Temporal call failed: %s", exc)
            raise temporal_unavailable(exc.status.name.lower()) from exc
        if exc.status is RPCStatusCode.RESOURCE_EXHAUSTED:
            # The server's per-workflow limits (10 updates in flight) or its own rate limits.
            log.warning("Temporal refused for load: %s", exc)
            raise order_busy() from exc
        raise
