"""The integration tests run on the real stack of `tests/conftest.py`: the Temporal dev server,
the three participant services as processes, and the orchestrator worker, once per session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.participants import Participants


@pytest.fixture(autouse=True)
async def _no_faults_left(participants: Participants) -> AsyncIterator[None]:
    yield
    await participants.reset_faults()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)
