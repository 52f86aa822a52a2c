"""A consumer's gauges move on the monitor's timer, with nobody scraping: lag, oldest unacked
age, redeliveries, DLQ depth, how full the streams are; max-deliveries advisories are counted."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import nats
import nats.errors
import pytest
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from prometheus_client import CollectorRegistry, Gauge

from orders.bus import DLQ_STREAM, MAX_BYTES, MSG_ID, STREAM, consumer_config, dlq_subject
from tests.integration.consumers import publish, reset_bus
from tests.integration.orders import poll
from tests.nats import NatsServer, running_nats
from tests.sample_events import completed_event, new_order_id
from workers.consumer.monitor import Monitor

TICK = 0.2


@pytest.fixture(scope="module")
async def bus(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[NatsServer]:
    async with running_nats(tmp_path_factory.mktemp("gauges-nats")) as server:
        yield server


@pytest.fixture
async def nc(bus: NatsServer) -> AsyncIterator[NATS]:
    connection = await nats.connect(bus.url)
    await reset_bus(connection.jetstream())
    try:
        yield connection
    finally:
        await connection.close()


@asynccontextmanager
async def monitoring(nc: NATS, name: str) -> AsyncIterator[Callable[[str], float | None]]:
    """A started monitor of consumer `name`; yields a reader of its registry's samples."""
    registry = CollectorRegistry()
    lag = Gauge("orders_consumer_lag", "lag", ["consumer"], registry=registry).labels(name)
    monitor = Monitor(name, nc, lag, registry, interval=TICK)
    monitor.start()

    def sample(metric: str) -> float | None:
        labels = {"stream": STREAM} if metric.startswith("orders_stream_") else {"consumer": name}
        return registry.get_sample_value(metric, labels)

    try:
        yield sample
    finally:
        await monitor.stop()


async def dead_letter(js: JetStreamContext, consumer: str) -> None:
    order = new_order_id()
    await js.publish(dlq_subject(consumer, order), b"{}", headers={MSG_ID: f"dlq-{order}"})


async def test_lag_age_dlq_depth_and_stream_use_refresh_on_a_timer(nc: NATS) -> None:
    js = nc.jetstream()
    for _ in range(3):
        await publish(js, completed_event(new_order_id()))
    await dead_letter(js, "analytics")
    await dead_letter(js, "loyalty")

    async with monitoring(nc, "analytics") as sample:
        await poll(lambda: sample("orders_consumer_lag") == 3, what="lag 3")
        await poll(lambda: sample("orders_consumer_dlq_depth") == 1, what="1 dead letter")
        await poll(lambda: (sample("orders_consumer_oldest_unacked_seconds") or 0) > 0, what="age")
        assert sample("orders_stream_messages") == 3
        assert sample("orders_stream_max_bytes") == MAX_BYTES
        assert (sample("orders_stream_bytes") or 0) > 0

        sub = await js.pull_subscribe_bind(durable="analytics", stream=STREAM)
        for msg in await sub.fetch(3, timeout=5):
            await msg.ack_sync()
        await poll(lambda: sample("orders_consumer_lag") == 0, what="lag 0 once acknowledged")
        await poll(
            lambda: sample("orders_consumer_oldest_unacked_seconds") == 0, what="age 0, caught up"
        )
        await sub.unsubscribe()
    info = await js.stream_info(DLQ_STREAM)
    assert info.state.messages == 2


async def test_redeliveries_and_max_deliveries_advisories_are_counted(
    nc: NATS, caplog: pytest.LogCaptureFixture
) -> None:
    js = nc.jetstream()
    # An operator lowered max_deliver, so that one event reaches it within the test.
    lowered = consumer_config("loyalty")
    lowered.max_deliver = 2
    await js.add_consumer(STREAM, lowered)
    await publish(js, completed_event(new_order_id()))

    with caplog.at_level(logging.ERROR, logger="workers.consumer.monitor"):
        async with monitoring(nc, "loyalty") as sample:
            await poll(lambda: sample("orders_consumer_lag") == 1, what="lag 1")
            assert sample("orders_consumer_max_deliveries_total") == 0
            sub = await js.pull_subscribe_bind(durable="loyalty", stream=STREAM)
            (first,) = await sub.fetch(1, timeout=5)
            await first.nak()
            (second,) = await sub.fetch(1, timeout=5)
            assert second.metadata.num_delivered == 2
            await poll(lambda: sample("orders_consumer_redelivered") == 1, what="1 redelivered")
            await second.nak()

            async def counted() -> bool:
                # The server gives up on the message (and advises) when it would deliver it.
                with contextlib.suppress(nats.errors.TimeoutError):
                    assert not await sub.fetch(1, timeout=0.5), "delivered past max_deliver"
                return sample("orders_consumer_max_deliveries_total") == 1

            await poll(counted, what="the max-deliveries advisory counted")
            await sub.unsubscribe()
    assert any("reached max_deliver after 2 deliveries" in r.getMessage() for r in caplog.records)
