"""Fixtures every test folder may use: the databases a store test runs on.

`databases` is parametrized over SQLite and PostgreSQL, so a test that takes it runs on both.
The PostgreSQL server is started once per session (see `tests.postgres`); where PostgreSQL is
not installed, the `postgresql` variants skip and say why.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.databases import Databases
from tests.postgres import PostgresServer, PostgresUnavailable
from tests.tokens import SERVICE_TOKEN

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
