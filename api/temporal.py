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


def temporal_unavailable(reason: str) -> ProblemError:
    return ProblemError(
        503,
        "temporal_unavailable",
        "Temporal is unavailable",
        f"The order service cannot reach Temporal right now ({reason}). Try again shortly.",
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
    """Turn Temporal's transport failures into a 503 problem, never a stack trace."""
    try:
        yield
    except RPCError as exc:
        if exc.status in UNAVAILABLE:
            log.warning("Temporal call failed: %s", exc)
            raise temporal_unavailable(exc.status.name.lower()) from exc
        raise
