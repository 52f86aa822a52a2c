"""Real servers for the integration tests: the Temporal dev server, the three participant
services as processes, and the orchestrator worker, once per session on free ports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from api.main import create_app
from cli.stack import free_port
from orders.settings import Settings
from orders.temporal import connect
from tests.integration.participants import Participants
from tests.nats import NatsServer
from tests.servers import start_participants, start_temporal
from workers.orchestrator import running_worker


@pytest.fixture(scope="session")
async def temporal_address(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    async with AsyncExitStack() as stack:
        yield await start_temporal(tmp_path_factory.mktemp("temporal"), stack)


@pytest.fixture(scope="session")
async def nats_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[NatsServer]:
    """A real nats-server with JetStream on a file store; tests may stop and start it."""
    data = tmp_path_factory.mktemp("nats")
    server = NatsServer(data, free_port())
    await server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
async def client(temporal_address: str) -> Client:
    return await connect(target_host=temporal_address, namespace="default")


@pytest.fixture(scope="session")
async def participants(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Participants]:
    async with AsyncExitStack() as stack:
        yield await start_participants(tmp_path_factory.mktemp("participants"), stack)


@pytest.fixture(scope="session")
async def settings(participants: Participants, nats_server: NatsServer) -> Settings:
    return Settings(
        inventory_url=participants.urls["inventory"],
        payment_url=participants.urls["payment"],
        shipping_url=participants.urls["shipping"],
        nats_url=nats_server.url,
    )


@pytest.fixture(scope="session")
async def worker(client: Client, settings: Settings) -> AsyncIterator[Worker]:
    async with running_worker(client, settings) as running:
        yield running


@pytest.fixture(autouse=True)
async def _no_faults_left(participants: Participants) -> AsyncIterator[None]:
    yield
    await participants.reset_faults()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
async def api(
    client: Client, settings: Settings, worker: Worker
) -> AsyncIterator[httpx.AsyncClient]:
    """The API in process, on the session's Temporal client, with the worker running."""
    app = create_app(settings, client=client)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        yield http
