"""The fetch loop of one durable consumer: provision, bind, fetch, hand each message on, stop.

The consumer is created explicitly (`provision_consumer`) and then bound by name, never created
as a side effect of subscribing, so its configuration is the one in `orders.bus`. If NATS goes
away the loop provisions and binds again once it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import nats.errors
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from orders.bus import CONSUMERS, STREAM, provision_consumer, provision_streams
from workers.consumer.batch import BatchCommit
from workers.consumer.deadletter import describe
from workers.consumer.delivery import Delivery
from workers.consumer.metrics import ConsumerMetrics

logger = logging.getLogger(__name__)

REBIND_PAUSE_SECONDS = 1.0
STOP_TIMEOUT_SECONDS = 30.0
INFO_TIMEOUT_SECONDS = 2.0


class ConsumerRunner:
    """Runs `delivery` over the messages of the durable consumer `name` until stopped."""

    def __init__(
        self,
        name: str,
        nc: NATS,
        delivery: Delivery,
        metrics: ConsumerMetrics,
        *,
        batch_size: int = 10,
        fetch_timeout: float = 1.0,
        stream_replicas: int = 1,
        batch: BatchCommit | None = None,
    ) -> None:
        if name not in CONSUMERS:
            raise ValueError(f"unknown consumer {name!r}: one of {', '.join(CONSUMERS)}")
        self.name = name
        self.nc = nc
        self.js: JetStreamContext = nc.jetstream()
        self.delivery = delivery
        self.metrics = metrics
        self.batch_size = batch_size
        self.fetch_timeout = fetch_timeout
        self.stream_replicas = stream_replicas
        self.batch = batch
        """With batch commit: settles what it can of each fetched batch in one transaction."""
        self._stopping = asyncio.Event()
        self._bound = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name=f"consumer-{self.name}")

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The task running the loop, once started."""
        return self._task

    async def stop(self, grace: float = STOP_TIMEOUT_SECONDS) -> None:
        """Stop fetching, let the message in hand finish, hand back the rest of the batch."""
        self._stopping.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace)
        except TimeoutError:
            logger.warning("%s did not stop within %.0fs: cancelling it", self.name, grace)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @property
    def problem(self) -> str | None:
        """Why the consumer is not healthy, or None when it is."""
        if self._task is None or self._task.done():
            return "the consumer loop is not running"
        if not self.nc.is_connected:
            return "not connected to NATS"
        if not self._bound:
            return f"not bound to the JetStream consumer {self.name!r} yet"
        return None

    async def run(self) -> None:
        while not self._stopping.is_set():
            sub: JetStreamContext.PullSubscription | None = None
            try:
                sub = await self._bind()
                await self._consume(sub)
            except Exception as exc:
                logger.warning(
                    "%s: %s; binding again in %.0fs", self.name, describe(exc), REBIND_PAUSE_SECONDS
                )
                await self._pause(REBIND_PAUSE_SECONDS)
            finally:
                self._bound = False
                if sub is not None:
                    with contextlib.suppress(Exception):
                        await sub.unsubscribe()
        logger.info("%s stopped", self.name)

    async def _bind(self) -> JetStreamContext.PullSubscription:
        await provision_streams(self.js, self.stream_replicas)
        await provision_consumer(self.js, self.name)
        sub = await self.js.pull_subscribe_bind(durable=self.name, stream=STREAM)
        # Binding does not look the consumer up; this does, and fails if it is not there.
        info = await sub.consumer_info()
        if info.config.durable_name != self.name:
            raise RuntimeError(f"bound to {info.name!r}, not the durable consumer {self.name!r}")
        self._bound = True
        logger.info(
            "%s bound to %s/%s: %d pending, %d in flight",
            self.name,
            STREAM,
            info.name,
            info.num_pending or 0,
            info.num_ack_pending or 0,
        )
        return sub

    async def _consume(self, sub: JetStreamContext.PullSubscription) -> None:
        while not self._stopping.is_set():
            try:
                msgs = await sub.fetch(self.batch_size, timeout=self.fetch_timeout)
            except nats.errors.TimeoutError:
                continue
            if self.batch is not None and not self._stopping.is_set():
                msgs = await self.batch.settle(msgs)
            for index, msg in enumerate(msgs):
                if self._stopping.is_set():
                    await self._hand_back(msgs[index:])
                    return
                try:
                    await self.delivery.process(msg)
                except Exception:
                    # Not settled (e.g. the DLQ publish failed): JetStream redelivers it after
                    # the ack wait. The next fetch finds out whether the connection is gone.
                    logger.exception("%s: could not settle stream seq %s", self.name, _seq(msg))

    async def _hand_back(self, msgs: list[Msg]) -> None:
        """Return fetched, untouched messages for immediate redelivery (we are stopping)."""
        for msg in msgs:
            with contextlib.suppress(Exception):
                await msg.nak()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def refresh_lag(self) -> None:
        """Set the lag gauge from the consumer's info; keep the last value if NATS is away."""
        try:
            info = await self.js.consumer_info(STREAM, self.name, timeout=INFO_TIMEOUT_SECONDS)
        except (nats.errors.Error, TimeoutError):
            return
        self.metrics.lag.set((info.num_pending or 0) + (info.num_ack_pending or 0))


def _seq(msg: Msg) -> int | None:
    try:
        return msg.metadata.sequence.stream
    except Exception:
        return None
