"""The fetch loop of one durable consumer: look it up, bind, fetch, hand each message on, stop.

The durable consumer is made by `orders bus provision`, never here: the loop looks it up
(`orders.topology`: missing, it says to provision and looks again; drifted, it logs what differs)
and binds to it by name, so an operator's change to it is kept. If NATS goes away the loop binds
again once it is back.

Replicas of a consumer bind the same durable, so JetStream spreads the messages between them.
While a batch is handled, `KeepAlive` keeps its messages from expiring into another replica's
hands; while the consumer's own dependency is down, the circuit breaker stops the fetching.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from orders.bus import ACK_WAIT, CONSUMERS, STREAM
from orders.topology import check_consumer
from workers.consumer.batch import BatchCommit
from workers.consumer.breaker import Breaker
from workers.consumer.deadletter import describe
from workers.consumer.delivery import Delivery, Outcome
from workers.consumer.holding import KeepAlive
from workers.consumer.metrics import ConsumerMetrics

logger = logging.getLogger(__name__)

REBIND_PAUSE_SECONDS = 1.0
STOP_TIMEOUT_SECONDS = 30.0


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
        breaker: Breaker | None = None,
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
        self.breaker = breaker or Breaker(name, delivery.probe, metrics.breaker_open)
        self.ack_wait = ACK_WAIT.total_seconds()
        """The bound consumer's ack wait (read from the server at bind): paces `KeepAlive`."""
        self.batch = batch
        """With batch commit: settles what it can of each fetched batch in one transaction."""
        self._stopping = asyncio.Event()
        self._bound = False
        self._unbound_because: str | None = None
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
            because = f": {self._unbound_because}" if self._unbound_because else " yet"
            return f"not bound to the JetStream consumer {self.name!r}{because}"
        return None

    @property
    def unready(self) -> str | None:
        """Why the consumer takes no messages now (its problem, or its breaker open), or None."""
        return self.problem or self.breaker.reason

    async def run(self) -> None:
        while not self._stopping.is_set():
            sub: JetStreamContext.PullSubscription | None = None
            try:
                sub = await self._bind()
                await self._consume(sub)
            except Exception as exc:
                self._unbound_because = describe(exc)
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
        await check_consumer(self.js, self.name, self.name)
        sub = await self.js.pull_subscribe_bind(durable=self.name, stream=STREAM)
        # Binding does not look the consumer up; this does, and fails if it is not there.
        info = await sub.consumer_info()
        if info.config.durable_name != self.name:
            raise RuntimeError(f"bound to {info.name!r}, not the durable consumer {self.name!r}")
        self._bound, self._unbound_because = True, None
        if info.config.ack_wait:
            self.ack_wait = float(info.config.ack_wait)
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
            if self.breaker.is_open:
                # Nothing is fetched while the dependency is down: the messages wait in the
                # stream and no delivery attempt is spent. The bind stays.
                await self.breaker.wait_closed(self._stopping)
                continue
            try:
                msgs = await sub.fetch(self.batch_size, timeout=self.fetch_timeout)
            except TimeoutError:  # nothing in time: nats.errors.TimeoutError, or a bare one
                continue
            async with KeepAlive(msgs, self.ack_wait, name=self.name) as held:
                if self.batch is not None and not self._stopping.is_set():
                    left = await self.batch.settle(msgs, held.release)
                    if len(left) < len(msgs):
                        self.breaker.success()  # a batch committed: its database answers
                    msgs = left
                await self._handle(msgs, held)

    async def _handle(self, msgs: list[Msg], held: KeepAlive) -> None:
        for index, msg in enumerate(msgs):
            if self._stopping.is_set():
                await self._hand_back(msgs[index:])
                return
            if self.breaker.is_open:
                await self._put_back(msgs[index:])
                return
            try:
                outcome = await self.delivery.process(msg)
            except Exception:
                # Not settled (e.g. the DLQ publish failed): JetStream redelivers it after
                # the ack wait. The next fetch finds out whether the connection is gone.
                logger.exception("%s: could not settle stream seq %s", self.name, _seq(msg))
                continue
            finally:
                held.release(msg)
            if outcome is Outcome.DEPENDENCY_DOWN:
                self.breaker.failure(self.delivery.last_failure or "dependency down")
            elif outcome is Outcome.APPLIED:
                self.breaker.success()

    async def _put_back(self, msgs: list[Msg]) -> None:
        """The breaker opened mid-batch: return the untouched rest for after the first probe."""
        delay = self.breaker.probe_delay
        for msg in msgs:
            with contextlib.suppress(Exception):
                await msg.nak(delay=delay)

    async def _hand_back(self, msgs: list[Msg]) -> None:
        """Return fetched, untouched messages for immediate redelivery (we are stopping)."""
        for msg in msgs:
            with contextlib.suppress(Exception):
                await msg.nak()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)


def _seq(msg: Msg) -> int | None:
    try:
        return msg.metadata.sequence.stream
    except Exception:
        return None
