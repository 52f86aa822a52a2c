"""What an on-call engineer watches about one consumer, refreshed on a timer (and on a scrape).

Every `interval` seconds (5 by default) the monitor reads the consumer's and the streams' info
and sets, in the consumer's registry:

    orders_consumer_lag                     not acknowledged yet: pending + in flight
    orders_consumer_oldest_unacked_seconds  age of the oldest of those (0 when caught up)
    orders_consumer_redelivered             unacknowledged, delivered more than once
    orders_consumer_dlq_depth               its dead letters on ORDER_EVENTS_DLQ
    orders_stream_bytes / _max_bytes / _messages {stream}   how full each stream is

each labelled `{consumer="<name>"}` unless said. It also listens to JetStream's advisory for a
message of this consumer that reached `max_deliver`
(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.<stream>.<consumer>`): the server stops sending it,
so it is logged and counted (`orders_consumer_max_deliveries_total`). While NATS is away the
gauges keep their last values.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import UTC, datetime

import nats.errors
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.api import ConsumerInfo
from nats.js.errors import NotFoundError
from prometheus_client import CollectorRegistry, Counter, Gauge

from orders.bus import DLQ_STREAM, STREAM

logger = logging.getLogger(__name__)

REFRESH_SECONDS = 5.0
INFO_TIMEOUT_SECONDS = 2.0


def max_deliveries_subject(consumer: str, stream: str = STREAM) -> str:
    return f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{stream}.{consumer}"


class MonitorMetrics:
    """The monitor's series, in the consumer's registry."""

    def __init__(self, registry: CollectorRegistry, consumer: str) -> None:
        def gauge(name: str, documentation: str) -> Gauge:
            return Gauge(name, documentation, ["consumer"], registry=registry).labels(consumer)

        self.oldest_unacked = gauge(
            "orders_consumer_oldest_unacked_seconds",
            "Age of the oldest message the consumer has not acknowledged; 0 when caught up.",
        )
        self.redelivered = gauge(
            "orders_consumer_redelivered",
            "Unacknowledged messages of the consumer delivered more than once.",
        )
        self.dlq_depth = gauge(
            "orders_consumer_dlq_depth", "Dead letters of the consumer on ORDER_EVENTS_DLQ."
        )
        self.max_deliveries = Counter(
            "orders_consumer_max_deliveries",
            "Messages that reached max_deliver: JetStream stopped delivering them.",
            ["consumer"],
            registry=registry,
        ).labels(consumer)

        def stream_gauge(name: str, documentation: str) -> Gauge:
            return Gauge(name, documentation, ["stream"], registry=registry)

        self.stream_bytes = stream_gauge("orders_stream_bytes", "Bytes stored in the stream.")
        self.stream_max_bytes = stream_gauge(
            "orders_stream_max_bytes", "The stream's max_bytes; publishes are refused at it."
        )
        self.stream_messages = stream_gauge("orders_stream_messages", "Messages in the stream.")


class Monitor:
    """Refreshes `lag` and the `MonitorMetrics` of consumer `name` every `interval` seconds."""

    def __init__(
        self,
        name: str,
        nc: NATS,
        lag: Gauge,
        registry: CollectorRegistry,
        interval: float = REFRESH_SECONDS,
    ) -> None:
        self.name = name
        self.nc = nc
        self.js = nc.jetstream(timeout=INFO_TIMEOUT_SECONDS)
        self.lag = lag
        self.metrics = MonitorMetrics(registry, name)
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        self._advisories: Subscription | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"{self.name}-monitor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._advisories is not None:
            with contextlib.suppress(Exception):
                await self._advisories.unsubscribe()

    async def _run(self) -> None:
        self._advisories = await self.nc.subscribe(
            max_deliveries_subject(self.name), cb=self._on_max_deliveries
        )
        while True:
            try:
                await self.refresh()
            except (nats.errors.Error, TimeoutError) as exc:
                logger.debug("%s: gauges not refreshed: %r", self.name, exc)
            await asyncio.sleep(self.interval)

    async def refresh(self) -> None:
        info = await self.js.consumer_info(STREAM, self.name)
        self.lag.set((info.num_pending or 0) + (info.num_ack_pending or 0))
        self.metrics.redelivered.set(info.num_redelivered or 0)
        self.metrics.oldest_unacked.set(await self._oldest_unacked_age(info))
        dlq = await self.js.stream_info(DLQ_STREAM, subjects_filter=f"orders.dlq.{self.name}.>")
        self.metrics.dlq_depth.set(sum((dlq.state.subjects or {}).values()))
        for stream in (await self.js.stream_info(STREAM), dlq):
            name = str(stream.config.name)
            self.metrics.stream_bytes.labels(name).set(stream.state.bytes)
            self.metrics.stream_messages.labels(name).set(stream.state.messages)
            self.metrics.stream_max_bytes.labels(name).set(stream.config.max_bytes or -1)

    async def _oldest_unacked_age(self, info: ConsumerInfo) -> float:
        """Seconds since the first message past the ack floor that the consumer filters on."""
        if not (info.num_pending or 0) + (info.num_ack_pending or 0):
            return 0.0
        floor = info.ack_floor.stream_seq if info.ack_floor is not None else 0
        subjects = info.config.filter_subjects or [info.config.filter_subject or ">"]
        oldest: datetime | None = None
        for subject in subjects:
            with contextlib.suppress(NotFoundError):
                msg = await self.js.get_msg(STREAM, seq=floor + 1, subject=subject, next=True)
                if msg.time is not None and (oldest is None or msg.time < oldest):
                    oldest = msg.time
        if oldest is None:
            return 0.0
        return max((datetime.now(UTC) - oldest).total_seconds(), 0.0)

    async def _on_max_deliveries(self, msg: Msg) -> None:
        try:
            advisory = json.loads(msg.data)
        except ValueError:
            advisory = {}
        self.metrics.max_deliveries.inc()
        logger.error(
            "%s: stream seq %s reached max_deliver after %s deliveries: JetStream will not "
            "deliver it again (re-feed it with `orders events replay` once the cause is fixed)",
            self.name,
            advisory.get("stream_seq"),
            advisory.get("deliveries"),
        )
