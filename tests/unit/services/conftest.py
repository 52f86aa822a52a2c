"""Fixtures: each service in process, on its own SQLite file in the test's temp dir."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from .helpers import APPS, Service, serve_in_process


@pytest.fixture
async def inventory(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(APPS["inventory"](tmp_path)) as client:
        yield client


@pytest.fixture
async def payment(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(APPS["payment"](tmp_path)) as client:
        yield client


@pytest.fixture
async def shipping(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(APPS["shipping"](tmp_path)) as client:
        yield client


@pytest.fixture(params=sorted(APPS))
async def any_service(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Service]:
    """Each of the three services in turn."""
    name: str = request.param
    async with serve_in_process(APPS[name](tmp_path)) as client:
        yield Service(name, client)
