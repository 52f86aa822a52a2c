"""Fixtures every test folder may use: the databases a store test runs on; the test payload key.

`databases` is parametrized over SQLite and PostgreSQL, so a test that takes it runs on both.
The PostgreSQL server is started once per session (see `tests.postgres`); where PostgreSQL is
not installed, the `postgresql` variants skip and say why.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.codec_keys import use_test_keys
from tests.databases import Databases
from tests.postgres import PostgresServer, PostgresUnavailable

# Before any fixture connects or starts a process: every Temporal client of the suite, and every
# worker, API or `orders dev` it starts, encrypts payloads with the (public) test key.
use_test_keys()

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
