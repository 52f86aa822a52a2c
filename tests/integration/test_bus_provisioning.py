"""The topology is provisioned once (`orders bus provision`) and only read by everyone else.

An operator's change to the live stream survives the CLI, a consumer restart and a worker
restart (on a three-node cluster, which keeps R3 throughout); a missing stream or consumer is a
clear error naming `orders bus provision`; a drifted one is reported, not reset.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import nats
import pytest
from fastapi import FastAPI
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from temporalio.testing import ActivityEnvironment
from typer.testing import CliRunner, Result

from activities.events import EventActivities
from cli.main import app
from orders.bus import CONSUMERS, DLQ_STREAM, STREAM
from orders.errors import ParticipantUnavailable
from orders.models import PublishEventInput
from tests.integration.consumers import running
from tests.integration.orders import poll
from tests.nats import running_nats
from tests.nats_cluster import running_cluster
from tests.sample_events import completed_event, new_order_id
from tests.tokens import SERVICE_HEADERS
from workers.analytics.app import create_app as analytics_app
from workers.analytics.settings import AnalyticsSettings

runner = CliRunner()


async def orders(nats_url: str, *args: str) -> Result:
    """`orders ...` as an operator runs it: without ORDERS_NATS_REPLICAS."""
    env = {"ORDERS_NATS_URL": nats_url, "ORDERS_NATS_REPLICAS": None, "COLUMNS": "200"}
    return await asyncio.to_thread(runner.invoke, app, list(args), env=env)


async def publish(url: str) -> None:
    """The worker's publish activity, on a fresh connection: what a restarted worker does."""
    events = EventActivities(url)
    try:
        event = completed_event(new_order_id())
        await ActivityEnvironment().run(events.publish, PublishEventInput(event=event))
    finally:
        await events.close()


@pytest.fixture
async def js_of() -> AsyncIterator[list[NATS]]:
    """The connections a test opened, closed after it."""
    connections: list[NATS] = []
    yield connections
    for nc in connections:
        await nc.close()


async def jetstream(url: str, connections: list[NATS]) -> JetStreamContext:
    nc = await nats.connect(url.split(","))
    connections.append(nc)
    return nc.jetstream()


def analytics(url: str, data: Path) -> FastAPI:
    settings = AnalyticsSettings(database_url=f"sqlite+aiosqlite:///{data}/analytics.db")
    return analytics_app(settings, nats_url=url)


async def test_an_operator_setting_survives_commands_and_restarts_and_the_cluster_keeps_r3(
    tmp_path: Path, js_of: list[NATS]
) -> None:
    async with running_cluster(tmp_path / "cluster") as cluster:
        await cluster.provision(replicas=3)
        js = await jetstream(cluster.url, js_of)
        tuned = (await js.stream_info(STREAM)).config
        tuned.max_msgs, tuned.description = 500_000, "tuned by the on-call engineer"
        await js.update_stream(tuned)

        listed = await orders(cluster.url, "dlq", "list")
        assert listed.exit_code == 0, listed.output
        for _ in range(2):  # a consumer, then the same consumer restarted
            async with running("analytics", analytics(cluster.url, tmp_path)):
                pass
        for _ in range(2):  # the worker's publish, then a restarted worker's
            await publish(cluster.url)

        info = await js.stream_info(STREAM)
        assert info.config.max_msgs == 500_000
        assert info.config.description == "tuned by the on-call engineer"
        assert info.state.messages == 2
        for stream in (STREAM, DLQ_STREAM):
            stream_info = await js.stream_info(stream)
            assert stream_info.config.num_replicas == 3, stream
            assert stream_info.cluster is not None and len(stream_info.cluster.replicas or []) == 2
        for name in CONSUMERS:
            consumer = await js.consumer_info(STREAM, name)
            assert consumer.cluster is not None and len(consumer.cluster.replicas or []) == 2, name
        status = await orders(cluster.url, "bus", "status", "--replicas", "3")
        assert status.exit_code == 0, status.output
        assert "R3" in status.output and "max_msgs 500000" in status.output


async def test_a_missing_topology_is_a_clear_error_until_it_is_provisioned(
    tmp_path: Path,
) -> None:
    async with running_nats(tmp_path / "nats", provisioned=False) as server:
        listed = await orders(server.url, "dlq", "list")
        assert listed.exit_code == 1
        assert "stream ORDER_EVENTS does not exist" in listed.output
        assert "orders bus provision" in listed.output
        status = await orders(server.url, "bus", "status")
        assert status.exit_code == 1 and "MISSING" in status.output, status.output

        with pytest.raises(ParticipantUnavailable, match="orders bus provision"):
            await publish(server.url)

        consumer = analytics(server.url, tmp_path)
        async with consumer.router.lifespan_context(consumer):
            transport = httpx.ASGITransport(app=consumer)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://analytics", headers=SERVICE_HEADERS
            ) as http:

                async def says_to_provision() -> bool:
                    response = await http.get("/healthz")
                    return response.status_code == 503 and "orders bus provision" in response.text

                await poll(says_to_provision, what="the consumer naming `orders bus provision`")
                assert (await orders(server.url, "bus", "provision")).exit_code == 0

                async def healthy() -> bool:
                    return (await http.get("/healthz")).status_code == 200

                await poll(healthy, what="the consumer bound once the bus is provisioned")
        await publish(server.url)


async def test_drift_is_reported_by_status_and_the_processes_and_not_reset(
    tmp_path: Path, js_of: list[NATS], caplog: pytest.LogCaptureFixture
) -> None:
    async with running_nats(tmp_path / "nats") as server:
        js = await jetstream(server.url, js_of)
        consumer = (await js.consumer_info(STREAM, "analytics")).config
        consumer.max_deliver = 7
        await js.add_consumer(STREAM, consumer)
        stream = (await js.stream_info(STREAM)).config
        stream.duplicate_window = 60.0
        await js.update_stream(stream)

        status = await orders(server.url, "bus", "status")
        assert status.exit_code == 1
        assert "consumer analytics: max_deliver is 7, the code says 20" in status.output
        assert "stream ORDER_EVENTS: duplicate_window is 60.0" in status.output

        with caplog.at_level(logging.WARNING, logger="orders.topology"):
            async with running("analytics", analytics(server.url, tmp_path)):
                pass
            await publish(server.url)
        drifted = [r.getMessage() for r in caplog.records if r.name == "orders.topology"]
        assert any("consumer analytics" in m and "max_deliver is 7" in m for m in drifted)
        assert any(m.startswith("orders-worker: stream ORDER_EVENTS") for m in drifted)
        assert all("orders bus provision" in m for m in drifted)
        assert (await js.consumer_info(STREAM, "analytics")).config.max_deliver == 7
        assert (await js.stream_info(STREAM)).config.duplicate_window == 60.0

        provisioned = await orders(server.url, "bus", "provision")
        assert provisioned.exit_code == 0
        assert "consumer analytics: updated (max_deliver is 7, the code says 20)" in (
            provisioned.output
        )
        assert (await orders(server.url, "bus", "status")).exit_code == 0


async def test_a_worker_whose_stream_went_away_says_to_provision_and_recovers(
    tmp_path: Path, js_of: list[NATS]
) -> None:
    async with running_nats(tmp_path / "nats") as server:
        js = await jetstream(server.url, js_of)
        events = EventActivities(server.url)
        env = ActivityEnvironment()
        try:
            await env.run(events.publish, PublishEventInput(event=completed_event(new_order_id())))
            await js.delete_stream(STREAM)
            event = completed_event(new_order_id())
            with pytest.raises(ParticipantUnavailable, match="orders bus provision"):
                await env.run(events.publish, PublishEventInput(event=event))
            with pytest.raises(ParticipantUnavailable, match="stream ORDER_EVENTS does not exist"):
                await env.run(events.publish, PublishEventInput(event=event))
            assert (await orders(server.url, "bus", "provision")).exit_code == 0
            landed = await env.run(events.publish, PublishEventInput(event=event))
            assert landed.stream_seq == 1 and not landed.duplicate
        finally:
            await events.close()
