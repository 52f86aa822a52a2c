"""A consumer as its process runs it: wait for NATS, run the loop, stop cleanly.

Connecting happens in the background, so a consumer started before NATS is up still serves
`/healthz` (503 until it is bound) and still stops at once on SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from nats.aio.client import Client as NATS

from orders.bus import connect_nats
from servicekit.db import Database
from workers.consumer.batch import BatchCommit
from workers.consumer.delivery import Delivery
from workers.consumer.handler import Handler
from workers.consumer.metrics import ConsumerMetrics
from workers.consumer.runner import ConsumerRunner
from workers.consumer.settings import ConsumerSettings

logger = logging.getLogger(__name__)


class Consumer:
    def __init__(
        self,
        name: str,
        nats_url: str,
        db: Database,
        handler: Handler[Any],
        settings: ConsumerSettings,
        stream_replicas: int = 1,
    ) -> None:
        self.name = name
        self.nats_url = nats_url
        self.db = db
        self.handler = handler
        self.settings = settings
        self.stream_replicas = stream_replicas
        self.metrics = ConsumerMetrics(name)
        self.nc: NATS | None = None
        self.runner: ConsumerRunner | None = None
        self._connecting: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._connecting = asyncio.create_task(self._connect_and_run(), name=f"{self.name}-nats")

    async def _connect_and_run(self) -> None:
        # connect_nats retries for as long as it takes: NATS may start after us.
        self.nc = await connect_nats(self.nats_url, name=f"orders-{self.name}")
        logger.info("%s connected to NATS at %s", self.name, self.nats_url)
        delivery = Delivery(
            self.name,
            self.nc.jetstream(),
            self.db,
            self.handler,
            self.settings.retry_policy(),
            self.metrics,
        )
        self.runner = ConsumerRunner(
            self.name,
            self.nc,
            delivery,
            self.metrics,
            batch_size=self.settings.batch_size,
            fetch_timeout=self.settings.fetch_timeout_seconds,
            stream_replicas=self.stream_replicas,
            batch=self._batch(delivery),
        )
        self.runner.start()

    def _batch(self, delivery: Delivery) -> BatchCommit | None:
        if not self.settings.batch_commit:
            return None
        if not BatchCommit.supports(self.handler):
            logger.info("%s: batch commit ignored, its effect is outside the database", self.name)
            return None
        return BatchCommit(delivery)

    async def stop(self) -> None:
        """Finish the message in hand, hand back the rest, then drain and close NATS."""
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
        if self.runner is not None:
            await self.runner.stop()
        if self.nc is not None:
            await _close(self.nc)

    @property
    def problem(self) -> str | None:
        """Why the consumer is not healthy, or None when it is."""
        if self.runner is None:
            return f"connecting to NATS at {self.nats_url}"
        return self.runner.problem

    async def refresh_lag(self) -> None:
        if self.runner is not None:
            await self.runner.refresh_lag()


async def _close(nc: NATS) -> None:
    """Drain (flush the last acks, then close); just close if NATS is not there to drain to."""
    if nc.is_closed:
        return
    try:
        await nc.drain()
    except Exception as exc:
        logger.warning("could not drain the NATS connection (%s): closing it", exc)
        await nc.close()
