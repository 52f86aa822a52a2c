"""A consumer as its process runs it: wait for NATS, run the loop, stop cleanly.

Connecting happens in the background, so a consumer started before NATS is up still serves
`/healthz` (503 until it is bound) and still stops at once on SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import nats.errors
from nats.aio.client import Client as NATS

from orders.bus import connect_nats
from servicekit.db import Database
from workers.consumer.batch import BatchCommit
from workers.consumer.breaker import Breaker
from workers.consumer.delivery import Delivery
from workers.consumer.handler import Handler
from workers.consumer.metrics import ConsumerMetrics
from workers.consumer.monitor import Monitor
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
    ) -> None:
        self.name = name
        self.nats_url = nats_url
        self.db = db
        self.handler = handler
        self.settings = settings
        self.metrics = ConsumerMetrics(name)
        self.nc: NATS | None = None
        self.runner: ConsumerRunner | None = None
        self.monitor: Monitor | None = None
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
        breaker = Breaker(
            self.name,
            delivery.probe,
            self.metrics.breaker_open,
            threshold=self.settings.breaker_threshold,
            probe_base_seconds=self.settings.probe_base_seconds,
            probe_cap_seconds=self.settings.probe_cap_seconds,
        )
        self.runner = ConsumerRunner(
            self.name,
            self.nc,
            delivery,
            self.metrics,
            batch_size=self.settings.batch_size,
            fetch_timeout=self.settings.fetch_timeout_seconds,
            breaker=breaker,
            batch=self._batch(delivery),
        )
        self.runner.start()
        self.monitor = Monitor(self.name, self.nc, self.metrics.lag, self.metrics.registry)
        self.monitor.start()

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
        if self.monitor is not None:
            await self.monitor.stop()
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

    async def refresh_gauges(self) -> None:
        """Refresh the monitor's gauges now (they also refresh on its timer)."""
        if self.monitor is not None:
            with contextlib.suppress(nats.errors.Error, TimeoutError):
                await self.monitor.refresh()

    @property
    def unready(self) -> str | None:
        """Why the consumer takes no messages now (not healthy, or its breaker open), or None."""
        if self.runner is None:
            return self.problem
        return self.runner.unready


async def _close(nc: NATS) -> None:
    """Drain (flush the last acks, then close); just close if NATS is not there to drain to."""
    if nc.is_closed:
        return
    try:
        await nc.drain()
    except Exception as exc:
        logger.warning("could not drain the NATS connection (%s): closing it", exc)
        await nc.close()
