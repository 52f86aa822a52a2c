"""Fixtures every test folder may use: the databases a store test runs on, the test payload key,
and the real stack.

`databases` is parametrized over SQLite and PostgreSQL, so a test that takes it runs on both.
The PostgreSQL server is started once per session (see `tests.postgres`); where PostgreSQL is
not installed, the `postgresql` variants skip and say why.

The stack — a Temporal dev server with its Web UI, NATS JetStream, the three participant
services as processes, the orchestrator worker and the API in process — starts once per session
on free ports, and only when a test asks for a part of it (`tests/integration`, `tests/ui`).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import Client
from temporalio.worker import Worker

from api.auth.keys import KeyFile
from api.auth.scopes import ALL_SCOPES
from api.auth.settings import AuthSettings
from api.main import create_app
from orders.settings import Settings
from orders.temporal import connect
from tests.codec_keys import use_test_keys
from tests.databases import Databases
from tests.integration.participants import Participants
from tests.nats import NatsServer, running_nats
from tests.postgres import PostgresServer, PostgresUnavailable
from tests.servers import TemporalDevServer, start_participants, start_temporal
from tests.tokens import SERVICE_TOKEN, bearer
from workers.orchestrator import running_worker

# Before any fixture connects or starts a process: every Temporal client of the suite, and every
# worker, API or `orders dev` it starts, encrypts payloads with the (public) test key.
use_test_keys()
# Every settings object the tests build, and every server process they start, reads the same
# service token, as a deployed fleet does; the tests' own clients send `SERVICE_HEADERS`.
os.environ["ORDERS_SERVICE_TOKEN"] = SERVICE_TOKEN

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the session, or a skip that says why there is none."""
    try:
        server = PostgresServer()
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(params=BACKENDS)
async def databases(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Databases]:
    """Where a store test keeps its data: SQLite files, then databases on PostgreSQL."""
    backend: str = request.param
    server = request.getfixturevalue("postgres") if backend == "postgresql" else None
    dbs = Databases(backend, tmp_path, server)
    try:
        yield dbs
    finally:
        await dbs.drop_all()


# --- the stack ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
async def temporal(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TemporalDevServer]:
    """One dev server for the session, its Web UI on (cheap: it is served by the same process)."""
    async with AsyncExitStack() as stack:
        yield await start_temporal(tmp_path_factory.mktemp("temporal"), stack, ui=True)


@pytest.fixture(scope="session")
def temporal_address(temporal: TemporalDevServer) -> str:
    return temporal.address


@pytest.fixture(scope="session")
async def nats_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[NatsServer]:
    """A real nats-server with JetStream on a file store; tests may stop and start it."""
    async with running_nats(tmp_path_factory.mktemp("nats")) as server:
        yield server


@pytest.fixture(scope="session")
async def client(temporal_address: str) -> Client:
    return await connect(target_host=temporal_address, namespace="default")


@pytest.fixture(scope="session")
async def participants(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Participants]:
    async with AsyncExitStack() as stack:
        yield await start_participants(tmp_path_factory.mktemp("participants"), stack)


@pytest.fixture(scope="session")
async def settings(
    participants: Participants, nats_server: NatsServer, temporal: TemporalDevServer
) -> Settings:
    return Settings(
        inventory_url=participants.urls["inventory"],
        payment_url=participants.urls["payment"],
        shipping_url=participants.urls["shipping"],
        nats_url=nats_server.url,
        # So that the API's `links.temporal_ui` lead to this session's Web UI.
        temporal_ui_url=temporal.ui_url or "http://localhost:8233",
    )


@pytest.fixture(scope="session")
async def worker(client: Client, settings: Settings) -> AsyncIterator[Worker]:
    async with running_worker(client, settings) as running:
        yield running


@pytest.fixture(scope="session")
def api_keys(tmp_path_factory: pytest.TempPathFactory) -> KeyFile:
    """The API's key file, holding the operator key the `api` fixture sends."""
    return KeyFile(tmp_path_factory.mktemp("keys") / "api-keys.json")


@pytest.fixture(scope="session")
def operator_key(api_keys: KeyFile) -> str:
    return api_keys.create(ALL_SCOPES, None, "tests: operator")[1]


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
