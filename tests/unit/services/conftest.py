"""Fixtures: each service in process, on a fresh database of each backend (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.databases import Databases

from .helpers import APPS, Service, serve_in_process


async def _serve(name: str, databases: Databases) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(APPS[name](await databases.url(name))) as client:
        yield client


@pytest.fixture
async def inventory(databases: Databases) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _serve("inventory", databases):
        yield client


@pytest.fixture
async def payment(databases: Databases) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _serve("payment", databases):
        yield client


@pytest.fixture
async def shipping(databases: Databases) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _serve("shipping", databases):
        yield client


@pytest.fixture(params=sorted(APPS))
async def any_service(
    request: pytest.FixtureRequest, databases: Databases
) -> AsyncIterator[Service]:
    """Each of the three services in turn."""
    name: str = request.param
    async for client in _serve(name, databases):
        yield Service(name, client)
