"""Real servers for the integration tests: the Temporal dev server, the three participant
services as processes, and the orchestrator worker, once per session on free ports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import Client
from temporalio.worker import Worker

from api.auth.keys import KeyFile
from api.auth.scopes import ALL_SCOPES, Scope
from api.auth.settings import AuthSettings
from api.main import create_app
from cli.stack import free_port
from orders.settings import Settings
from orders.temporal import connect
from tests.integration.participants import Participants
from tests.nats import NatsServer
from tests.servers import start_participants, start_temporal
from tests.tokens import bearer
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
def api_keys(tmp_path_factory: pytest.TempPathFactory) -> KeyFile:
    """The API's key file, holding the operator key the `api` fixture sends."""
    return KeyFile(tmp_path_factory.mktemp("keys") / "api-keys.json")


@pytest.fixture(scope="session")
def operator_key(api_keys: KeyFile) -> str:
    return api_keys.create(ALL_SCOPES, None, "tests: operator")[1]


def customer_key(api_keys: KeyFile, customer_id: str, *scopes: Scope) -> str:
    """A new key for `customer_id` (default scopes: place, read, cancel)."""
    chosen = frozenset(scopes or (Scope.PLACE, Scope.READ, Scope.CANCEL))
    return api_keys.create(chosen, customer_id, f"tests: {customer_id}")[1]


@pytest.fixture(scope="session")
def auth_settings(api_keys: KeyFile) -> AuthSettings:
    # A limit no test reaches by accident; the rate-limit test builds its own app.
    return AuthSettings(api_keys_file=api_keys.path, api_rate_limit_per_second=1000)


@pytest.fixture(scope="session")
async def api_app(client: Client, settings: Settings, auth_settings: AuthSettings) -> FastAPI:
    return create_app(settings, client=client, auth=auth_settings)


@pytest.fixture(scope="session")
async def api(
    api_app: FastAPI, operator_key: str, worker: Worker
) -> AsyncIterator[httpx.AsyncClient]:
    """The API in process, on the session's Temporal client, with the worker running; it
    authenticates as an operator (every scope)."""
    transport = httpx.ASGITransport(app=api_app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", headers=bearer(operator_key)
    ) as http:
        yield http
