"""A full stream refuses a publish (`discard=new`); the publish activity fails retryably, the
stream gauges show it full (what StreamFull alerts on), and once there is room the retried
publish lands: nothing is lost, nothing is dropped to make room. Through a real worker, the
order completes meanwhile and its event lands once `orders bus provision` raises the limit."""

from __future__ import annotations

import asyncio
from pathlib import Path

import nats
import pytest
from nats.js.errors import APIError
from prometheus_client import CollectorRegistry, Gauge
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment
from typer.testing import CliRunner, Result

from activities.events import EventActivities
from cli.bus.provision import provision
from cli.main import app
from orders.bus import STREAM
from orders.errors import ParticipantUnavailable
from orders.models import OrderStatus, PublishEventInput
from orders.settings import Settings
from orders.temporal import workflow_id
from tests.integration.orders import poll, state
from tests.integration.participants import Participants, new_order
from tests.nats import running_nats
from tests.sample_events import completed_event, new_order_id
from workers.consumer.monitor import Monitor
from workers.orchestrator import running_worker
from workflows.order import OrderWorkflow

TINY = 4096
"""A few events' worth of bytes."""
QUEUE = "orders-full-stream"
"""A worker of its own, on its own bus: the session's worker keeps the session's."""


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


async def test_an_order_completes_while_the_stream_is_full_and_its_event_lands_once_there_is_room(
    client: Client, participants: Participants, tmp_path: Path
) -> None:
    async with running_nats(tmp_path / "nats", provisioned=False) as server:
        nc = await nats.connect(server.url)
        try:
            js = nc.jetstream()
            await provision(js, max_bytes=TINY)
            for n in range(100):  # fill it
                try:
                    await js.publish(f"orders.events.filler.f{n}", b"x" * 500, stream=STREAM)
                except APIError:
                    break
            settings = Settings(
                task_queue=QUEUE,
                inventory_url=participants.urls["inventory"],
                payment_url=participants.urls["payment"],
                shipping_url=participants.urls["shipping"],
                nats_url=server.url,
            )
            order = new_order()
            async with running_worker(client, settings):
                handle = await client.start_workflow(
                    OrderWorkflow.run, order, id=workflow_id(order.order_id), task_queue=QUEUE
                )

                async def completed_and_refused() -> bool:
                    if (await state(handle)).status is not OrderStatus.COMPLETED:
                        return False
                    return "is full" in await last_publish_failure(client, handle.id)

                await poll(completed_and_refused, what="the publish refused and retried", within=60)
                assert (await orders_bus(server.url, "provision")).exit_code == 0  # room
                result = await handle.result()
            assert result.status is OrderStatus.COMPLETED
            event_id = f"orders.order.completed.v1:{order.order_id}"
            assert result.events == [event_id]
            landed = await js.get_msg(STREAM, subject=f"orders.events.completed.{order.order_id}")
            assert (landed.headers or {}).get("Nats-Msg-Id") == event_id
        finally:
            await nc.close()


async def last_publish_failure(client: Client, workflow_id: str) -> str:
    description = await client.get_workflow_handle(workflow_id).describe()
    for pending in description.raw_description.pending_activities:
        if pending.activity_type.name == "publish_event" and pending.HasField("last_failure"):
            return str(await client.data_converter.decode_failure(pending.last_failure))
    return ""


async def orders_bus(url: str, *args: str) -> Result:
    return await asyncio.to_thread(
        CliRunner().invoke, app, ["bus", *args], env={"ORDERS_NATS_URL": url}
    )
