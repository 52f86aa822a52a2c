"""A full stream refuses a publish (`discard=new`); the publish activity fails retryably, the
stream gauges show it full (what StreamFull alerts on), and once there is room the retried
publish lands: nothing is lost, nothing is dropped to make room."""

from __future__ import annotations

import asyncio
from pathlib import Path

import nats
import pytest
from prometheus_client import CollectorRegistry, Gauge
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment
from typer.testing import CliRunner

from activities.events import EventActivities
from cli.bus.provision import provision
from cli.main import app
from orders.bus import STREAM
from orders.errors import ParticipantUnavailable
from orders.models import PublishEventInput
from tests.nats import running_nats
from tests.sample_events import completed_event, new_order_id
from workers.consumer.monitor import Monitor

TINY = 4096
"""A few events' worth of bytes."""


async def test_a_full_stream_refuses_publishes_which_retry_until_there_is_room(
    tmp_path: Path,
) -> None:
    async with running_nats(tmp_path / "nats", provisioned=False) as server:
        nc = await nats.connect(server.url)
        js = nc.jetstream()
        events = EventActivities(server.url)
        try:
            await provision(js, max_bytes=TINY)
            env = ActivityEnvironment()
            published = []
            refused: ParticipantUnavailable | None = None
            for _ in range(50):
                event = completed_event(new_order_id("full"))
                try:
                    await env.run(events.publish, PublishEventInput(event=event))
                except ParticipantUnavailable as exc:
                    refused, waiting = exc, event
                    break
                published.append(event.id)
            assert refused is not None, f"{len(published)} events fit in {TINY} bytes"
            assert "is full" in str(refused) and "maximum bytes exceeded" in str(refused)
            assert not isinstance(refused, ApplicationError)  # Temporal retries it
            info = await js.stream_info(STREAM)
            assert info.state.messages == len(published)  # nothing dropped to make room

            registry = CollectorRegistry()
            lag = Gauge("orders_consumer_lag", "", ["consumer"], registry=registry)
            await Monitor("analytics", nc, lag.labels("analytics"), registry).refresh()
            used = registry.get_sample_value("orders_stream_bytes", {"stream": STREAM}) or 0
            limit = registry.get_sample_value("orders_stream_max_bytes", {"stream": STREAM})
            assert limit == TINY
            assert used + len(waiting.model_dump_json()) > limit  # full for the next event

            with pytest.raises(ParticipantUnavailable, match="is full"):  # still full: retried
                await env.run(events.publish, PublishEventInput(event=waiting))
            result = await asyncio.to_thread(
                CliRunner().invoke, app, ["bus", "provision"], env={"ORDERS_NATS_URL": server.url}
            )
            assert result.exit_code == 0, result.output
            assert "stream ORDER_EVENTS: updated (max_bytes is 4096" in result.output
            landed = await env.run(events.publish, PublishEventInput(event=waiting))
            assert not landed.duplicate
            info = await js.stream_info(STREAM)
            assert info.state.messages == len(published) + 1
        finally:
            await events.close()
            await nc.close()
